use std::process::ExitCode;

fn main() -> ExitCode {
    casefile::main_entry()
}
