use std::process::ExitCode;

fn main() -> ExitCode {
    ignore_file_size_signal();
    casefile::main_entry()
}

/// Makes a write past the file size limit (`ulimit -f`) fail with an error instead of ending
/// the process with SIGXFSZ, so that the command rolls back what it wrote, as on a full disk.
#[cfg(unix)]
fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN runs no code in the handler, and no
    // other thread has started yet.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

#[cfg(not(unix))]
fn ignore_file_size_signal() {}
