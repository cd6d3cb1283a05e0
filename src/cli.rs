//! The command-line interface, parsed with clap's derive API.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// Incident response as code: every incident is a directory of TOML and Markdown files in a
/// git repository, and every change is a commit.
///
/// Exit codes: 0 success, 1 failure or problems found, 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "casefile", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Run as if casefile was started in DIR (the case repository), as with git
    #[arg(short = 'C', global = true, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Write the files of a change but do not commit them
    #[arg(long, global = true)]
    pub no_commit: bool,

    /// Print data as JSON on commands that print data
    #[arg(long, global = true)]
    pub json: bool,

    /// Print only warnings and errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail on stderr
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(commands::init::InitArgs),
    Demo(commands::demo::DemoArgs),
    Open(commands::open::OpenArgs),
    Ingest(commands::ingest::IngestArgs),
    List(commands::list::ListArgs),
    Show(commands::show::ShowArgs),
    Take(commands::owner::TakeArgs),
    Assign(commands::owner::AssignArgs),
    #[command(subcommand)]
    Timeline(commands::timeline::TimelineCommand),
    #[command(subcommand)]
    Ioc(commands::ioc::IocCommand),
    Extract(commands::extract::ExtractArgs),
    Search(commands::search::SearchArgs),
    Enrich(commands::enrich::EnrichArgs),
    Verdict(commands::verdict::VerdictArgs),
    Classify(commands::classify::ClassifyArgs),
    #[command(subcommand)]
    Action(commands::action::ActionCommand),
    Summary(commands::text::SummaryArgs),
    Recommend(commands::text::RecommendArgs),
    Retro(commands::text::RetroArgs),
    #[command(subcommand)]
    Followup(commands::followup::FollowupCommand),
    Advance(commands::advance::AdvanceArgs),
    Reopen(commands::advance::ReopenArgs),
    Report(commands::report::ReportArgs),
    Lessons(commands::report::LessonsArgs),
    Export(commands::export::ExportArgs),
    Stats(commands::stats::StatsArgs),
    Check(commands::check::CheckArgs),
    Doctor(commands::doctor::DoctorArgs),
    Completions(commands::completions::CompletionsArgs),
    Man(commands::completions::ManArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
