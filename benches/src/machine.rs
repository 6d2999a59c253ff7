//! The machine a run happened on, for the report: CPU model (`lscpu`), cores, compiler and date.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DD` (UTC) of `days` since 1970-01-01 (Howard Hinnant's civil-from-days).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn lscpu_model() -> Option<String> {
    let output = Command::new("lscpu").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.lines()
        .find_map(|line| line.strip_prefix("Model name:").map(|m| m.trim().to_owned()))
}

fn rustc_version() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc).arg("-V").output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// One line: CPU model, cores, OS, compiler, date.
pub fn describe() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    format!(
        "{} ({cores} cores), {} {}, {}, {}",
        lscpu_model().unwrap_or_else(|| "unknown CPU".to_owned()),
        std::env::consts::OS,
        std::env::consts::ARCH,
        rustc_version().unwrap_or_else(|| "rustc ?".to_owned()),
        civil_date(days)
    )
}

#[cfg(test)]
mod tests {
    use super::civil_date;

    #[test]
    fn dates_from_days() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_723), "2024-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }
}
