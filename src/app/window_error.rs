//! Why the window could not open, said so the user can fix it: when a shared library that
//! winit or glutin loads at run time is missing or broken, the message names that library and
//! the Debian package that provides it, instead of blaming DISPLAY.
//!
//! The errors eframe passes on do not name the library: winit says "Failed to load one of
//! xlib's shared libraries", glutin says "not found", and xkbcommon-dl panics with "Library
//! libxkbcommon-x11.so could not be loaded." So [`classify`] sorts the error text into the
//! group of libraries that step loads, [`probe`] tries to load each of them (the dynamic
//! loader's own message then names the file that failed, a dependency included), and
//! [`library_named`] / [`message`] turn that into words. Everything but [`probe`] and
//! [`catching_library_panics`] is pure.

use std::fmt::Write as _;

/// A shared library the window may load at run time, and the Debian package providing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedLib {
    /// The name the loader is asked for, e.g. `libxkbcommon-x11.so.0`.
    pub soname: &'static str,
    /// The Debian package that ships it, e.g. `libxkbcommon-x11-0`.
    pub package: &'static str,
}

const fn lib(soname: &'static str, package: &'static str) -> SharedLib {
    SharedLib { soname, package }
}

const X11: SharedLib = lib("libX11.so.6", "libx11-6");
const X11_XCB: SharedLib = lib("libX11-xcb.so.1", "libx11-xcb1");
const XCURSOR: SharedLib = lib("libXcursor.so.1", "libxcursor1");
const XI: SharedLib = lib("libXi.so.6", "libxi6");
const XKBCOMMON: SharedLib = lib("libxkbcommon.so.0", "libxkbcommon0");
const XKBCOMMON_X11: SharedLib = lib("libxkbcommon-x11.so.0", "libxkbcommon-x11-0");
const EGL: SharedLib = lib("libEGL.so.1", "libegl1");
const GL: SharedLib = lib("libGL.so.1", "libgl1");
const WAYLAND_CLIENT: SharedLib = lib("libwayland-client.so.0", "libwayland-client0");
const WAYLAND_EGL: SharedLib = lib("libwayland-egl.so.1", "libwayland-egl1");
const WAYLAND_CURSOR: SharedLib = lib("libwayland-cursor.so.0", "libwayland-cursor0");

/// Every library the message can name: what winit and glutin load, and what those need.
pub const KNOWN: &[SharedLib] = &[
    X11,
    X11_XCB,
    XCURSOR,
    XI,
    XKBCOMMON,
    XKBCOMMON_X11,
    EGL,
    GL,
    WAYLAND_CLIENT,
    WAYLAND_EGL,
    WAYLAND_CURSOR,
    lib("libXrandr.so.2", "libxrandr2"),
    lib("libxcb.so.1", "libxcb1"),
    lib("libXext.so.6", "libxext6"),
    lib("libXrender.so.1", "libxrender1"),
    lib("libXfixes.so.3", "libxfixes3"),
    lib("libXau.so.6", "libxau6"),
    lib("libXdmcp.so.6", "libxdmcp6"),
    lib("libGLX.so.0", "libglx0"),
    lib("libGLdispatch.so.0", "libglvnd0"),
    lib("libffi.so.8", "libffi8"),
];

/// What step of opening the window failed, judged from the error's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No display to connect to: DISPLAY / WAYLAND_DISPLAY unset, or the X server refused.
    NoDisplay,
    /// winit could not load Xlib or one of its extensions.
    Xlib,
    /// winit could not load libxkbcommon (keyboard handling).
    Xkbcommon,
    /// glutin found no OpenGL: neither EGL nor GLX could be loaded or configured.
    Gl,
    /// winit could not use the Wayland client library.
    Wayland,
    /// Anything else.
    Other,
}

impl Failure {
    /// The libraries the failed step loads, in the order it loads them.
    #[must_use]
    pub fn libraries(self) -> &'static [SharedLib] {
        match self {
            Self::Xlib => &[X11, XCURSOR, X11_XCB, XI],
            Self::Xkbcommon => &[XKBCOMMON, XKBCOMMON_X11],
            Self::Gl => &[EGL, GL],
            Self::Wayland => &[WAYLAND_CLIENT, WAYLAND_CURSOR, WAYLAND_EGL],
            Self::NoDisplay | Self::Other => &[],
        }
    }
}

/// Sort the text of a window error (or of the panic that stopped it) into a [`Failure`].
#[must_use]
pub fn classify(text: &str) -> Failure {
    if text.contains("DISPLAY is set")
        || text.contains("DISPLAY is not set")
        || text.contains("Failed to open connection to X server")
    {
        Failure::NoDisplay
    } else if text.contains("xlib's shared libraries") {
        Failure::Xlib
    } else if text.contains("libxkbcommon") {
        Failure::Xkbcommon
    } else if text.contains("glutin") || text.contains("libEGL") || text.contains("libGL.") {
        Failure::Gl
    } else if text.contains("libwayland") {
        Failure::Wayland
    } else {
        Failure::Other
    }
}

/// The known library `text` names last (a loader message such as
/// `libxkbcommon-x11.so.0: libxkbcommon.so.0: cannot open shared object file` ends with the
/// file that failed), by the name before its version: `libxkbcommon-x11.so` matches
/// `libxkbcommon-x11.so.0`.
#[must_use]
pub fn library_named(text: &str) -> Option<SharedLib> {
    KNOWN
        .iter()
        .filter_map(|l| {
            let stem = stem(l.soname);
            text.match_indices(stem)
                // `libGL.so` inside `libEGL.so` or `…/xlibGL.so` is not libGL.
                .filter(|(i, _)| {
                    !text[..*i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
                .map(|(i, _)| i)
                .last()
                .map(|i| (i, *l))
        })
        .max_by_key(|(i, _)| *i)
        .map(|(_, l)| l)
}

/// `libfoo.so.1` → `libfoo.so`.
fn stem(soname: &str) -> &str {
    soname
        .find(".so")
        .map_or(soname, |i| &soname[..i + ".so".len()])
}

/// The libraries that failed to load, each with the loader's message, given each probed
/// library's load result; a failure that names another library (a missing dependency) is put
/// on that one. No library appears twice.
#[must_use]
pub fn missing(probed: &[(SharedLib, Result<(), String>)]) -> Vec<(SharedLib, String)> {
    let mut out: Vec<(SharedLib, String)> = Vec::new();
    for (l, result) in probed {
        if let Err(detail) = result {
            let culprit = library_named(detail).unwrap_or(*l);
            if !out.iter().any(|(m, _)| m.soname == culprit.soname) {
                out.push((culprit, detail.clone()));
            }
        }
    }
    out
}

/// The message for a window that could not run with error `text`, given the libraries found
/// missing: those named with their packages and the command that installs them; without any,
/// the display is the likely cause.
#[must_use]
pub fn message(text: &str, missing: &[(SharedLib, String)]) -> String {
    if missing.is_empty() {
        return format!(
            "the window could not run (is there a display? DISPLAY / WAYLAND_DISPLAY): {text}"
        );
    }
    let mut s = String::from("the window could not open: ");
    for (i, (l, detail)) in missing.iter().enumerate() {
        if i > 0 {
            s.push_str("; ");
        }
        let _ = write!(
            s,
            "{} could not be loaded ({detail}), it comes with the Debian package {}",
            l.soname, l.package
        );
    }
    let packages: Vec<&str> = missing.iter().map(|(l, _)| l.package).collect();
    let _ = write!(
        s,
        ". Install {}: sudo apt-get install {}. The error was: {text}",
        if packages.len() == 1 { "it" } else { "them" },
        packages.join(" ")
    );
    s
}

/// The libraries of `failure` that cannot be loaded here, with the loader's message for each.
#[must_use]
pub fn probe(failure: Failure) -> Vec<(SharedLib, String)> {
    let probed: Vec<(SharedLib, Result<(), String>)> = failure
        .libraries()
        .iter()
        .map(|l| (*l, try_load(l.soname)))
        .collect();
    missing(&probed)
}

/// Load `soname` the way winit and glutin do (dlopen), then unload it.
#[cfg(all(unix, not(target_os = "macos")))]
#[allow(unsafe_code)]
fn try_load(soname: &str) -> Result<(), String> {
    // SAFETY: these are the system windowing and GL libraries the window itself loads through
    // winit and glutin a moment earlier; running their initialisers again is what any of those
    // loads does. Nothing from the library is used, and it is closed at once.
    unsafe { libloading::Library::new(soname) }
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn try_load(_soname: &str) -> Result<(), String> {
    Ok(())
}

/// The message for a window error with text `text`: probes the libraries of its failure group
/// and names what is missing (see the module docs).
#[must_use]
pub fn explain(text: &str) -> String {
    let failure = classify(text);
    let mut found = probe(failure);
    if found.is_empty()
        && failure != Failure::NoDisplay
        && let Some(l) = library_named(text)
    {
        found.push((l, "named in the error".to_owned()));
    }
    message(text, &found)
}

/// True when a panic message says a window library could not be loaded: such a panic (from
/// xkbcommon-dl) is turned into [`explain`]'s message rather than shown as a crash.
#[must_use]
pub fn is_library_panic(text: &str) -> bool {
    (text.contains("could not be loaded") || text.contains("Could not load"))
        && library_named(text).is_some()
}

/// The text of a panic's payload (`panic!` with a literal or a formatted message).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Run `open_and_run` (the window); a panic saying a window library could not be loaded is
/// caught and returned as `Err` with its text, without the panic report, so the caller can say
/// what to install. Any other panic is reported and unwinds as usual.
///
/// # Errors
/// The text of a library panic.
pub fn catching_library_panics<T>(open_and_run: impl FnOnce() -> T) -> Result<T, String> {
    type Hook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync>;
    let previous: std::sync::Arc<Hook> = std::sync::Arc::new(std::panic::take_hook());
    let report = std::sync::Arc::clone(&previous);
    std::panic::set_hook(Box::new(move |info| {
        if !is_library_panic(&panic_text(info.payload())) {
            report(info);
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(open_and_run));
    std::panic::set_hook(Box::new(move |info| previous(info)));
    match result {
        Ok(v) => Ok(v),
        Err(payload) => {
            let text = panic_text(payload.as_ref());
            if is_library_panic(&text) {
                Err(text)
            } else {
                std::panic::resume_unwind(payload)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts eframe 0.37 / winit 0.30 / glutin 0.32 / xkbcommon-dl 0.4 produced with a
    /// broken stub of each library on LD_LIBRARY_PATH under Xvfb.
    const XLIB_ERROR: &str = "winit EventLoopError: os error at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/winit-0.30.13/src/platform_impl/linux/mod.rs:788: Failed to load one of xlib's shared libraries";
    const XKB_PANIC: &str = "Library libxkbcommon-x11.so could not be loaded.";
    const GL_ERROR: &str = "Found no glutin configs matching the template: ConfigTemplate { color_buffer_type: Rgb { r_size: 8, g_size: 8, b_size: 8 }, alpha_size: 8, api: None }. Error: not found";
    const NO_DISPLAY: &str = "winit EventLoopError: os error at …/linux/mod.rs:765: neither WAYLAND_DISPLAY nor WAYLAND_SOCKET nor DISPLAY is set.";

    fn package(text: &str) -> Option<&'static str> {
        library_named(text).map(|l| l.package)
    }

    #[test]
    fn errors_are_sorted_by_the_step_that_failed() {
        assert_eq!(classify(XLIB_ERROR), Failure::Xlib);
        assert_eq!(classify(XKB_PANIC), Failure::Xkbcommon);
        assert_eq!(classify(GL_ERROR), Failure::Gl);
        assert_eq!(classify(NO_DISPLAY), Failure::NoDisplay);
        assert_eq!(
            classify("Failed to open connection to X server"),
            Failure::NoDisplay
        );
        assert_eq!(classify("app creation error: boom"), Failure::Other);
        assert!(Failure::Xlib.libraries().contains(&XCURSOR));
        assert_eq!(Failure::Gl.libraries(), [EGL, GL]);
        assert!(Failure::NoDisplay.libraries().is_empty());
    }

    #[test]
    fn loader_messages_name_the_library_and_its_package() {
        for (text, pkg) in [
            (
                "/tmp/stub/libxkbcommon-x11.so.0: file too short",
                "libxkbcommon-x11-0",
            ),
            (
                "libxkbcommon.so.0: cannot open shared object file: No such file or directory",
                "libxkbcommon0",
            ),
            (XKB_PANIC, "libxkbcommon-x11-0"),
            (
                "libEGL.so.1: cannot open shared object file: No such file or directory",
                "libegl1",
            ),
            (
                "libGL.so.1: cannot open shared object file: No such file or directory",
                "libgl1",
            ),
            (
                "libX11-xcb.so.1: cannot open shared object file",
                "libx11-xcb1",
            ),
            ("libX11.so.6: cannot open shared object file", "libx11-6"),
            (
                "libXcursor.so.1: cannot open shared object file",
                "libxcursor1",
            ),
            (
                "libXrandr.so.2: cannot open shared object file",
                "libxrandr2",
            ),
            ("libXi.so.6: cannot open shared object file", "libxi6"),
            (
                "libwayland-client.so.0: cannot open shared object file",
                "libwayland-client0",
            ),
            ("libGLX.so.0: cannot open shared object file", "libglx0"),
            // A dependency: the file named last is the one that failed.
            (
                "libXcursor.so.1: libXfixes.so.3: cannot open shared object file",
                "libxfixes3",
            ),
        ] {
            assert_eq!(package(text), Some(pkg), "{text}");
        }
        assert_eq!(package(XLIB_ERROR), None);
        assert_eq!(package(GL_ERROR), None);
        assert_eq!(package("/usr/lib/libfoo.so.1: file too short"), None);
    }

    #[test]
    fn a_missing_dependency_is_blamed_once() {
        let probed = [
            (
                XKBCOMMON,
                Err("libxkbcommon.so.0: cannot open shared object file".to_owned()),
            ),
            (
                XKBCOMMON_X11,
                Err("libxkbcommon.so.0: cannot open shared object file".to_owned()),
            ),
        ];
        let m = missing(&probed);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0, XKBCOMMON);
        let probed = [
            (EGL, Ok(())),
            (GL, Err("libGL.so.1: file too short".to_owned())),
        ];
        assert_eq!(
            missing(&probed),
            [(GL, "libGL.so.1: file too short".to_owned())]
        );
        assert!(missing(&[(EGL, Ok(())), (GL, Ok(()))]).is_empty());
    }

    #[test]
    fn the_message_names_library_and_package_not_the_display() {
        let m = message(
            XLIB_ERROR,
            &[(
                XCURSOR,
                "libXcursor.so.1: cannot open shared object file".to_owned(),
            )],
        );
        assert!(m.contains("libXcursor.so.1 could not be loaded"), "{m}");
        assert!(m.contains("Debian package libxcursor1"), "{m}");
        assert!(m.contains("apt-get install libxcursor1"), "{m}");
        assert!(!m.contains("DISPLAY"), "{m}");
        let both = message(GL_ERROR, &[(EGL, "x".to_owned()), (GL, "y".to_owned())]);
        assert!(both.contains("apt-get install libegl1 libgl1"), "{both}");
        // Nothing missing: the display is the likely cause, as before.
        let m = message(NO_DISPLAY, &[]);
        assert!(
            m.contains("is there a display? DISPLAY / WAYLAND_DISPLAY"),
            "{m}"
        );
    }

    #[test]
    fn only_library_panics_are_turned_into_messages() {
        assert!(is_library_panic(XKB_PANIC));
        assert!(is_library_panic(
            "Could not load compose module from libxkbcommon.so."
        ));
        assert!(!is_library_panic(
            "index out of bounds: the len is 3 but the index is 7"
        ));
        assert!(!is_library_panic("the config could not be loaded"));
    }

    #[test]
    fn a_library_panic_becomes_an_error_and_others_unwind() {
        assert_eq!(catching_library_panics(|| 7), Ok(7));
        assert_eq!(
            catching_library_panics(|| -> () { panic!("{}", XKB_PANIC) }),
            Err(XKB_PANIC.to_owned())
        );
        let other =
            std::panic::catch_unwind(|| catching_library_panics(|| -> () { panic!("a bug") }));
        assert!(other.is_err(), "a bug is not a missing library");
    }

    #[test]
    fn a_library_that_loads_is_not_reported() {
        // libc is always there; a name no system has is always missing.
        assert_eq!(try_load("libc.so.6"), Ok(()));
        assert!(try_load("libswarmglass-no-such-library.so.0").is_err());
    }
}
