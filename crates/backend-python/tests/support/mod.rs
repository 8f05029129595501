//! What the runner tests share.

use std::path::Path;
use std::process::Command;

/// `python3 ARGS` in `dir`: its exit code and its output, stdout then stderr.
pub fn python(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new("python3")
        .args(args)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
