//! Item 9: embedded footprint. Runs the repository's own measurements and reads their output:
//! `tests/qemu/run --flash` (tryfer-core alone in minimal Cortex-M binaries; the core's share is the difference
//! from the bare cortex-m-rt binary) and `examples/firmware/build` (each firmware example, release). RAM is
//! `.data + .bss` as `size` reports it; flash is `.text + .data`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::report::Figure;

/// The flash goal for the core alone on thumbv6m.
pub const CORE_FLASH_GOAL: u64 = 8 * 1024;

const SECTION: &str = "embedded footprint";

/// What a script printed, or why it did not finish.
fn run_script(script: &Path, args: &[&str], limit: Duration) -> Result<(bool, String, String), String> {
    let mut command = Command::new(script);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = thread::spawn(move || {
        let mut text = String::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_string(&mut text);
        }
        text
    });
    let err = thread::spawn(move || {
        let mut text = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_string(&mut text);
        }
        text
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > limit => break None,
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for {}: {e}", script.display())),
        }
    };
    let Some(status) = status else {
        // Our own child's process group: the script and the cargo it started.
        let _ = Command::new("kill").arg("--").arg(format!("-{}", child.id())).status();
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("{} did not finish within {limit:?}", script.display()));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok((status.success(), stdout, stderr))
}

/// `text`, `data` and `bss` of an ELF, from binutils' or LLVM's `size`.
pub fn sections(elf: &Path) -> Option<(u64, u64, u64)> {
    for tool in ["size", "llvm-size", "arm-none-eabi-size"] {
        let Ok(output) = Command::new(tool).arg("-B").arg(elf).output() else {
            continue;
        };
        if !output.status.success() {
            continue;
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let mut numbers = text.lines().nth(1)?.split_whitespace().map(|n| n.parse::<u64>().ok());
        return Some((numbers.next()??, numbers.next()??, numbers.next()??));
    }
    None
}

/// One target's line of `tests/qemu/run --flash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuFlash {
    /// The thumb target.
    pub target: String,
    /// Flash of the minimal binary with every measured path of the core.
    pub binary: u64,
    /// The core's share (over the bare runtime) and its breakdown, as printed.
    pub core: Option<(u64, String)>,
}

/// Reads `tests/qemu/run --flash` output: per target, the whole binary's flash and the core's share.
pub fn parse_qemu_flash(stdout: &str) -> Vec<QemuFlash> {
    let mut found = Vec::new();
    let mut lines = stdout.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((target, rest)) = line.split_once(" flash=") else {
            continue;
        };
        let Some(all) = rest.strip_suffix(" bytes").and_then(|n| n.trim().parse::<u64>().ok()) else {
            continue;
        };
        // `  tryfer-core N bytes = ids A + B3 B + span encode C + Scribe frame D; cortex-m-rt runtime E`
        let core = lines.peek().and_then(|next| {
            let rest = next.trim().strip_prefix("tryfer-core ")?;
            let bytes = rest.split_whitespace().next()?.parse::<u64>().ok()?;
            let parts = rest.split_once("= ").map_or("", |(_, parts)| parts).to_owned();
            Some((bytes, parts))
        });
        found.push(QemuFlash {
            target: target.trim().to_owned(),
            binary: all,
            core,
        });
    }
    found
}

/// Reads `examples/firmware/build` output: `NAME TARGET text=N data=N bss=N` per firmware.
pub fn parse_firmware(stdout: &str) -> Vec<(String, String, u64, u64, u64)> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?.to_owned();
            let target = words.next()?.to_owned();
            let mut value = |key: &str| words.next()?.strip_prefix(key)?.parse::<u64>().ok();
            Some((name, target, value("text=")?, value("data=")?, value("bss=")?))
        })
        .collect()
}

fn qemu_target_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
            home.join(".cache/tryfer-target")
        });
    base.join("qemu")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join(" / ")
}

/// The core's flash and RAM in minimal Cortex-M binaries (`tests/qemu/run --flash`).
pub fn core_figures(root: &Path, limit: Duration) -> Vec<Figure> {
    let script = root.join("tests/qemu/run");
    let name = "tryfer-core alone, thumbv6m-none-eabi: flash";
    if !script.exists() {
        return vec![Figure::missing(SECTION, name, "bytes", "tests/qemu/run is missing")];
    }
    let (ok, stdout, stderr) = match run_script(&script, &["--flash"], limit) {
        Ok(done) => done,
        Err(why) => return vec![Figure::missing(SECTION, name, "bytes", why)],
    };
    let parsed = parse_qemu_flash(&stdout);
    if parsed.is_empty() {
        let why = format!(
            "tests/qemu/run --flash printed no sizes (ok={ok}): {}",
            tail(&stderr, 3)
        );
        return vec![Figure::missing(SECTION, name, "bytes", why)];
    }
    let mut figures = Vec::new();
    for QemuFlash {
        target,
        binary: all,
        core,
    } in parsed
    {
        let release = qemu_target_dir().join(&target).join("release");
        let ram = match (sections(&release.join("flash")), sections(&release.join("flash-base"))) {
            (Some((_, d, b)), Some((_, bd, bb))) => Some((d + b).saturating_sub(bd + bb)),
            _ => None,
        };
        if let Some((core, parts)) = core {
            let mut f = Figure::new(
                SECTION,
                format!("tryfer-core alone, {target}: flash"),
                core as f64,
                "bytes",
            )
            .with_note(format!("{parts}; the whole minimal binary is {all} bytes"));
            if target == "thumbv6m-none-eabi" {
                f = f.with_goal("≤ 8 KiB", core <= CORE_FLASH_GOAL);
            }
            figures.push(f);
        }
        if let Some(ram) = ram {
            figures.push(
                Figure::new(
                    SECTION,
                    format!("tryfer-core alone, {target}: static RAM"),
                    ram as f64,
                    "bytes",
                )
                .with_note("`.data + .bss` over the bare runtime; spans and buffers live on the stack"),
            );
        }
    }
    figures
}

/// Flash and RAM of each firmware example (`examples/firmware/build`).
pub fn firmware_figures(root: &Path, limit: Duration) -> Vec<Figure> {
    let script = root.join("examples/firmware/build");
    let name = "firmware examples";
    if !script.exists() {
        return vec![Figure::missing(
            SECTION,
            name,
            "bytes",
            "examples/firmware/build is missing",
        )];
    }
    let (ok, stdout, stderr) = match run_script(&script, &[], limit) {
        Ok(done) => done,
        Err(why) => return vec![Figure::missing(SECTION, name, "bytes", why)],
    };
    let parsed = parse_firmware(&stdout);
    let mut figures = Vec::new();
    for (firmware, target, text, data, bss) in &parsed {
        figures.push(Figure::new(
            SECTION,
            format!("{firmware} ({target}): flash"),
            (text + data) as f64,
            "bytes",
        ));
        figures.push(Figure::new(
            SECTION,
            format!("{firmware} ({target}): RAM"),
            (data + bss) as f64,
            "bytes",
        ));
    }
    if !ok || parsed.is_empty() {
        let why = format!("examples/firmware/build failed: {}", tail(&stderr, 3));
        figures.push(Figure::missing(SECTION, name, "bytes", why));
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_qemu_flash_report() {
        let out = "thumbv6m-none-eabi flash=9000 bytes\n  tryfer-core 6000 bytes = ids 1 + B3 2 + span encode 3 \
                   + Scribe frame 4; cortex-m-rt runtime 3000\n  within the 8192-byte goal for the core on thumbv6m\n\
                   thumbv7m-none-eabi flash: build failed (log: x)\nthumbv7em-none-eabihf flash=8000 bytes\n";
        assert_eq!(
            parse_qemu_flash(out),
            vec![
                QemuFlash {
                    target: "thumbv6m-none-eabi".to_owned(),
                    binary: 9000,
                    core: Some((
                        6000,
                        "ids 1 + B3 2 + span encode 3 + Scribe frame 4; cortex-m-rt runtime 3000".into()
                    )),
                },
                QemuFlash {
                    target: "thumbv7em-none-eabihf".to_owned(),
                    binary: 8000,
                    core: None
                },
            ]
        );
    }

    #[test]
    fn reads_the_firmware_sizes() {
        let out = "tryfer-pico-w5500 thumbv6m-none-eabi text=151388 data=6680 bss=62160\nnoise\n";
        assert_eq!(
            parse_firmware(out),
            vec![(
                "tryfer-pico-w5500".to_owned(),
                "thumbv6m-none-eabi".to_owned(),
                151388,
                6680,
                62160
            )]
        );
    }
}
