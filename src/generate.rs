//! `swarmglass generate`: the man pages and shell completions, written from the very clap
//! definitions the binary parses with (clap_mangen, clap_complete), so packaging never ships a
//! page or a completion that disagrees with the program.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::Cli;

/// Write `swarmglass.1` and one `swarmglass-COMMAND.1` per visible subcommand (and per
/// subcommand of those) into `dir`; returns the files written, in name order.
///
/// # Errors
/// The folder or a file cannot be written.
pub fn man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(Cli::command(), dir)?;
    let mut written: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .collect();
    written.sort();
    Ok(written)
}

/// The completion script for `shell`.
#[must_use]
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "swarmglass", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_man_page_per_command_naming_its_options() {
        let dir = tempfile::tempdir().unwrap();
        let files = man_pages(dir.path()).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for want in [
            "swarmglass.1",
            "swarmglass-demo.1",
            "swarmglass-agent.1",
            "swarmglass-history-export.1",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        assert!(
            !names.iter().any(|n| n.contains("generate")),
            "hidden stays hidden"
        );
        let main = std::fs::read_to_string(dir.path().join("swarmglass.1")).unwrap();
        assert!(
            main.starts_with(".ie") || main.contains(".TH"),
            "roff: {}",
            &main[..80]
        );
        assert!(
            main.contains("\\-\\-wall") || main.contains("-wall"),
            "the window flags"
        );
        let agent = std::fs::read_to_string(dir.path().join("swarmglass-agent.1")).unwrap();
        assert!(agent.contains("listen"));
    }

    #[test]
    fn completions_know_the_subcommands_in_every_shell() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let text = String::from_utf8(completions(shell)).unwrap();
            for sub in ["demo", "snapshot", "agent", "discover"] {
                assert!(text.contains(sub), "{shell:?} lacks {sub}");
            }
        }
    }
}
