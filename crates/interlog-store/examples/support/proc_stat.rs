//! CPU time of a process or thread, from /proc (shared by the store's benchmarks).

use std::path::Path;

/// USER_HZ: the unit of the times in /proc/<pid>/stat. 100 on every Linux architecture in use.
pub const TICKS_PER_SEC: f64 = 100.0;

/// utime + stime, in ticks, of the process or thread whose `stat` file this is.
pub fn cpu_ticks(stat: &Path) -> u64 {
    let text = std::fs::read_to_string(stat).expect("read stat");
    // The command name (field 2) may contain spaces: count fields from after its closing parenthesis,
    // where field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
    let after = &text[text.rfind(')').expect("comm") + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| fields[i].parse::<u64>().expect("number");
    field(11) + field(12)
}

/// This process's CPU time so far, in ticks.
pub fn process_ticks() -> u64 {
    cpu_ticks(Path::new("/proc/self/stat"))
}
