//! The config file: every problem reported, never a panic; a valid config renders its errors.

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Every variable a config may name holds a plausible token or URL.
    let env = |name: &str| Some(format!("value-of-{name}"));
    if let Err(problems) = swarmglass::config::from_toml_str(text, &env) {
        let _ = swarmglass::config::ConfigError::Invalid {
            path: None,
            problems,
        }
        .to_string();
    }
}
