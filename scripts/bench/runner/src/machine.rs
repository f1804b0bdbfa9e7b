//! What the figures were measured on, and whether a binary is stripped.

use std::path::Path;

pub fn describe() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    serde_json::json!({
        "nproc": nproc,
        "cpu_model": model,
        "ram_gib": crate::stats::round(mem_kib as f64 / 1024.0 / 1024.0),
        "kernel": read("/proc/sys/kernel/osrelease"),
        "debian": read("/etc/debian_version"),
    })
}

/// The 1-minute load average: other work on the machine while the bench ran.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Whether an ELF64 little-endian file has no `.symtab` (the symbol table
/// `strip` removes). None when the file is not such an ELF.
pub fn is_stripped(path: &Path) -> Option<bool> {
    let data = std::fs::read(path).ok()?;
    if data.get(0..4)? != b"\x7fELF" || *data.get(4)? != 2 || *data.get(5)? != 1 {
        return None;
    }
    let u16_at = |o: usize| Some(u16::from_le_bytes(data.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(data.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(data.get(o..o + 8)?.try_into().ok()?));
    let shoff = u64_at(0x28)? as usize;
    let shentsize = u16_at(0x3A)? as usize;
    let shnum = u16_at(0x3C)? as usize;
    let shstrndx = u16_at(0x3E)? as usize;
    let names_offset = u64_at(shoff + shstrndx * shentsize + 0x18)? as usize;
    for i in 0..shnum {
        let header = shoff + i * shentsize;
        let name_at = names_offset + u32_at(header)? as usize;
        let name = data.get(name_at..)?.split(|b| *b == 0).next()?;
        if name == b".symtab" {
            return Some(false);
        }
    }
    Some(true)
}
