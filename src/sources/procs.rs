//! Which inference server a GPU process is, and the model it serves, from its command line:
//! vLLM (`vllm serve M`, `-m vllm.entrypoints.openai.api_server --model M`), SGLang
//! (`sglang.launch_server --model-path M`), llama.cpp (`llama-server -m file.gguf`, `-hf repo`),
//! TGI (`text-generation-launcher --model-id M`) and Ollama's runners. A served-model name or
//! alias given on the command line wins over the path. `recognise` is pure; `of_pid` reads
//! `/proc/<pid>/cmdline` (Linux; `None` elsewhere or for a process in another PID namespace).

/// What a process is, as far as its command line tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// `vllm`, `sglang`, `llamacpp`, `tgi` or `ollama`.
    pub server: &'static str,
    /// The model, when the command line names it.
    pub model: Option<String>,
}

fn flag<'a>(args: &'a [String], names: &[&str]) -> Option<&'a str> {
    args.iter().enumerate().find_map(|(i, a)| {
        names.iter().find_map(|n| {
            if a == n {
                args.get(i + 1).map(String::as_str)
            } else {
                a.strip_prefix(n).and_then(|rest| rest.strip_prefix('='))
            }
        })
    })
}

fn file_stem(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.strip_suffix(".gguf").unwrap_or(name).to_owned()
}

fn base(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// Recognise a command line (argv, program first).
#[must_use]
pub fn recognise(args: &[String]) -> Option<Served> {
    let served_name = flag(args, &["--served-model-name"]).map(str::to_owned);
    let has = |needle: &str| args.iter().any(|a| a.contains(needle));
    let program = args.first().map(|a| base(a)).unwrap_or_default();
    if program == "vllm" || has("vllm.entrypoints") || (has("vllm") && has("serve")) {
        let positional = args
            .iter()
            .position(|a| a == "serve")
            .and_then(|i| args.get(i + 1))
            .filter(|a| !a.starts_with('-'))
            .cloned();
        let model = served_name
            .or_else(|| flag(args, &["--model"]).map(str::to_owned))
            .or(positional);
        return Some(Served {
            server: "vllm",
            model,
        });
    }
    if has("sglang.launch_server") || has("sglang_router") || program == "sglang" {
        let model =
            served_name.or_else(|| flag(args, &["--model-path", "--model"]).map(str::to_owned));
        return Some(Served {
            server: "sglang",
            model,
        });
    }
    if program.starts_with("text-generation-") {
        return Some(Served {
            server: "tgi",
            model: flag(args, &["--model-id"]).map(str::to_owned),
        });
    }
    if program == "ollama" || program.starts_with("ollama_llama_server") {
        // A runner's `--model` is a blob path (sha256-…), not a name: Ollama's /api/ps has it.
        return Some(Served {
            server: "ollama",
            model: None,
        });
    }
    if program == "llama-server"
        || program == "llama-cpp-server"
        || program == "server" && has("-m")
    {
        let model = flag(args, &["--alias", "-a"])
            .map(str::to_owned)
            .or_else(|| flag(args, &["-hf", "--hf-repo"]).map(str::to_owned))
            .or_else(|| flag(args, &["-m", "--model"]).map(file_stem));
        return Some(Served {
            server: "llamacpp",
            model,
        });
    }
    None
}

/// Recognise process `pid` from `/proc/<pid>/cmdline`.
#[cfg(target_os = "linux")]
#[must_use]
pub fn of_pid(pid: u32) -> Option<Served> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    recognise(&args)
}

/// Recognise a process: never off Linux (no `/proc`).
#[cfg(not(target_os = "linux"))]
#[must_use]
pub fn of_pid(_pid: u32) -> Option<Served> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cmd: &str) -> Option<Served> {
        recognise(
            &cmd.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        )
    }

    fn model(cmd: &str) -> (Option<&'static str>, Option<String>) {
        let s = r(cmd);
        (s.as_ref().map(|s| s.server), s.and_then(|s| s.model))
    }

    #[test]
    fn every_server_and_its_model() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "/usr/bin/python3 /opt/venv/bin/vllm serve meta-llama/Llama-3.1-8B-Instruct --port 8000",
                "vllm",
                Some("meta-llama/Llama-3.1-8B-Instruct"),
            ),
            (
                "python -m vllm.entrypoints.openai.api_server --model Qwen/Qwen2.5-7B --served-model-name qwen",
                "vllm",
                Some("qwen"),
            ),
            (
                "python3 -m vllm.entrypoints.openai.api_server --model=/models/mistral",
                "vllm",
                Some("/models/mistral"),
            ),
            (
                "python3 -m sglang.launch_server --model-path deepseek-ai/DeepSeek-V3 --tp 8",
                "sglang",
                Some("deepseek-ai/DeepSeek-V3"),
            ),
            (
                "/app/llama-server -m /models/qwen2.5-coder-7b-q4_k_m.gguf -ngl 99",
                "llamacpp",
                Some("qwen2.5-coder-7b-q4_k_m"),
            ),
            (
                "llama-server -hf ggml-org/gemma-3-1b-it-GGUF",
                "llamacpp",
                Some("ggml-org/gemma-3-1b-it-GGUF"),
            ),
            (
                "llama-server -m /m/x.gguf --alias coder",
                "llamacpp",
                Some("coder"),
            ),
            (
                "text-generation-launcher --model-id bigscience/bloom-560m --num-shard 1",
                "tgi",
                Some("bigscience/bloom-560m"),
            ),
            (
                "/usr/local/bin/ollama runner --model /root/.ollama/models/blobs/sha256-6a0746a1ec1a --ctx-size 8192",
                "ollama",
                None,
            ),
        ];
        for (cmd, server, m) in cases {
            assert_eq!(model(cmd), (Some(*server), m.map(str::to_owned)), "{cmd}");
        }
    }

    #[test]
    fn other_processes_are_nothing() {
        assert_eq!(r("/usr/bin/python3 train.py --model resnet"), None);
        assert_eq!(r("Xorg :0"), None);
        assert_eq!(recognise(&[]), None);
    }
}
