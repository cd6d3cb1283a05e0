//! `casefile demo`: build a sample case repository from a bundled real Wazuh alert and walk
//! one incident through every phase to its report.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use clap::Args;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::incident::{ActionKind, ActionStatus, EntryKind, FollowupKind, Verdict};
use crate::repo::Analyst;
use crate::report::REPORT_FILE;

use super::open::{AlertInput, OpenArgs};
use super::report::Format;
use super::{
    action, advance, classify, followup, init, ioc, open, owner, report, text, timeline, verdict,
    Context,
};

/// The alert the demo opens its incident from: a real Wazuh SSH brute-force alert.
const DEMO_ALERT: &[u8] = include_bytes!("../../data/demo/wazuh-alert-100003.json");

/// Build a sample case repository from a bundled real Wazuh alert and walk one incident
/// through every phase to its final report. Needs no network and no git identity
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory to create; defaults to a new directory under the system's temporary directory
    #[arg(value_name = "DIR")]
    pub target: Option<PathBuf>,
}

/// Runs demo steps with a clock that moves forward, as an analyst's day would.
struct Walk {
    context: Context,
    now: DateTime<Utc>,
}

impl Walk {
    fn at(&mut self, minutes: i64) -> &mut Context {
        self.context.clock = Clock::fixed(self.now + Duration::minutes(minutes));
        &mut self.context
    }
}

pub fn run(args: DemoArgs, context: &mut Context) -> Result<i32> {
    let dir = match args.target {
        Some(dir) => dir,
        None => {
            std::env::temp_dir().join(format!("casefile-demo-{}", uuid::Uuid::new_v4().simple()))
        }
    };
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map_err(Error::io("read directory", &dir))?
            .next()
            .is_some()
    {
        return Err(Error::invalid_with_hint(
            format!("`{}` exists and is not empty", dir.display()),
            "pass a new directory: `casefile demo DIR`",
        ));
    }
    let alert = crate::alert::parse_alert(DEMO_ALERT).map_err(|source| Error::Alert {
        path: "the bundled demo alert".into(),
        source,
    })?;
    let start = alert.timestamp.to_utc();
    let analyst = Analyst {
        name: "Dana Demo".into(),
        email: "dana.demo@example.org".into(),
    };
    let mut demo_context = Context {
        dir: dir.clone(),
        no_commit: false,
        json: false,
        quiet: true,
        verbose: 0,
        clock: Clock::fixed(start),
        analyst_override: Some(analyst),
        silent_stdout: true,
        mute_warnings: false,
    };
    context.status(format!(
        "building a demo case repository in {}",
        dir.display()
    ));
    let root = init::init_repository(&dir, &demo_context, init::Extras::default())?;
    demo_context.dir = root.clone();
    let mut walk = Walk {
        context: demo_context,
        now: start,
    };
    let id = walk_incident(&mut walk, alert)?;

    let report_path = root.join("incidents").join(&id).join(REPORT_FILE);
    context.status(format!(
        "incident {id} went through every phase; its report:"
    ));
    context.print_data(&report_path.display().to_string())?;
    Ok(0)
}

fn walk_incident(walk: &mut Walk, alert: crate::alert::Alert) -> Result<String> {
    let input = AlertInput {
        bytes: DEMO_ALERT.to_vec(),
        alert,
        origin: "wazuh-alert-100003.json".into(),
    };
    let args = OpenArgs::default();
    let context = walk.at(4);
    let workspace = context.workspace()?;
    let new = open::build(&workspace, context, &args, Some(&input))?;
    context.apply(&workspace, &new.change)?;
    // Release the repository lock before the next command takes it.
    drop(workspace);
    let id = new.id;

    advance_to(walk, &id, 5)?;
    owner::run_take(owner::TakeArgs { id: id.clone() }, walk.at(9))?;
    advance_to(walk, &id, 10)?;

    investigate(walk, &id)?;
    advance_to(walk, &id, 40)?;
    verdict::run(
        verdict::VerdictArgs {
            id: id.clone(),
            verdict: Verdict::TruePositive,
            reason: "Eight failed logins for a non-existent user within seconds from one source, \
                     matching the brute-force rule; no legitimate user or scanner uses that address."
                .into(),
        },
        walk.at(42),
    )?;
    advance_to(walk, &id, 43)?;
    classify::run(
        classify::ClassifyArgs {
            id: id.clone(),
            incident_type: Some("brute-force".into()),
            severity: Some("high".into()),
            attack: vec!["T1110.001".into(), "T1021.004".into()],
            impact: Some(
                "No account was compromised: every attempt used a non-existent user. The SSH \
                 service of Ubuntu-22 stayed available."
                    .into(),
            ),
            priority: Some("P2".into()),
        },
        walk.at(45),
    )?;
    advance_to(walk, &id, 46)?;
    respond(walk, &id)?;
    close(walk, &id)?;
    Ok(id)
}

fn advance_to(walk: &mut Walk, id: &str, minutes: i64) -> Result<()> {
    let args = advance::AdvanceArgs {
        id: id.to_string(),
        waive: None,
        reason: None,
        dry_run: false,
    };
    advance::run_advance(args, walk.at(minutes)).map(|_| ())
}

fn investigate(walk: &mut Walk, id: &str) -> Result<()> {
    let entries = [
        (
            "2023-05-22T10:40:41Z",
            EntryKind::Finding,
            "auth.log on Ubuntu-22 shows eight `Invalid user attacker` \
          attempts from 192.168.121.127 between 10:40:41 and 10:40:43, ports 34880 to 34898.",
        ),
        (
            "2023-05-22T10:40:43Z",
            EntryKind::Note,
            "No successful login from 192.168.121.127 in auth.log or the \
          wtmp records; file-integrity monitoring shows no change under /etc/ssh.",
        ),
        (
            "2023-05-22T10:55:00Z",
            EntryKind::Finding,
            "192.168.121.127 is a lab workstation that was not \
          scheduled for scanning; its owner confirms no authorized test.",
        ),
    ];
    for (minute, (at, kind, text)) in entries.into_iter().enumerate() {
        timeline::run(
            timeline::TimelineCommand::Add(timeline::AddArgs {
                id: id.to_string(),
                text: text.split_whitespace().collect::<Vec<_>>().join(" "),
                at: Some(at.into()),
                kind,
                source: Some("auth.log".into()),
                tlp: None,
            }),
            walk.at(20 + minute as i64 * 5),
        )?;
    }
    ioc::run(
        ioc::IocCommand::Add(ioc::AddArgs {
            id: id.to_string(),
            values: vec!["attacker".into()],
            kind: Some(crate::ioc::IocType::UserAccount),
            tlp: None,
            seen: Some("2023-05-22T10:40:41Z".into()),
            source: "auth.log".into(),
            note: None,
        }),
        walk.at(36),
    )?;
    Ok(())
}

fn act(
    walk: &mut Walk,
    id: &str,
    minutes: i64,
    kind: ActionKind,
    target: &str,
    note: &str,
) -> Result<()> {
    action::run(
        action::ActionCommand::Add(action::AddArgs {
            id: id.to_string(),
            kind,
            target: target.into(),
            status: ActionStatus::Done,
            phase: None,
            note: Some(note.into()),
        }),
        walk.at(minutes),
    )
    .map(|_| ())
}

fn respond(walk: &mut Walk, id: &str) -> Result<()> {
    act(
        walk,
        id,
        50,
        ActionKind::BlockIp,
        "192.168.121.127",
        "Dropped at the lab firewall for inbound SSH.",
    )?;
    act(
        walk,
        id,
        52,
        ActionKind::MonitorAccount,
        "attacker",
        "Alert on any login attempt for this name.",
    )?;
    advance_to(walk, id, 55)?;
    act(
        walk,
        id,
        80,
        ActionKind::EnforceMfa,
        "sshd on Ubuntu-22",
        "Password login disabled; keys and MFA only.",
    )?;
    act(
        walk,
        id,
        85,
        ActionKind::UpdateDetection,
        "rule 100003",
        "Lower frequency threshold to 6 attempts.",
    )?;
    advance_to(walk, id, 90)?;
    act(
        walk,
        id,
        120,
        ActionKind::VerifyService,
        "sshd on Ubuntu-22",
        "Key-based logins work for the admins.",
    )?;
    act(
        walk,
        id,
        125,
        ActionKind::ConfirmNoAccess,
        "Ubuntu-22",
        "No session or new key from the source.",
    )?;
    advance_to(walk, id, 130)?;
    Ok(())
}

fn close(walk: &mut Walk, id: &str) -> Result<()> {
    text::run_summary(
        text::SummaryArgs {
            id: id.to_string(),
            text: "A lab workstation ran an SSH brute-force attempt against Ubuntu-22 with the \
                   non-existent user `attacker`. Wazuh rule 100003 fired within two seconds. The \
                   source was blocked, password login was disabled, and no access was gained."
                .into(),
        },
        walk.at(140),
    )?;
    render(walk, id, 141, false)?;
    advance_to(walk, id, 142)?;
    text::run_recommend(
        text::RecommendArgs {
            id: id.to_string(),
            text: "Disable SSH password authentication on every lab host.".into(),
        },
        walk.at(150),
    )?;
    text::run_retro(
        text::RetroArgs {
            id: id.to_string(),
            what_happened: None,
            went_well: Some(
                "The custom rule fired within two seconds and the owner was found quickly.".into(),
            ),
            went_wrong: Some("Password login was still enabled on a lab host.".into()),
            root_cause: Some(
                "The lab baseline did not disable SSH password authentication.".into(),
            ),
        },
        walk.at(152),
    )?;
    followup::run(
        followup::FollowupCommand::Add(followup::AddArgs {
            id: id.to_string(),
            kind: FollowupKind::SiemRule,
            text: "Add an active response that blocks a source after rule 100003 fires.".into(),
            owner: "Dana Demo <dana.demo@example.org>".into(),
            due: "2023-06-30".into(),
        }),
        walk.at(155),
    )?;
    render(walk, id, 158, true)?;
    advance_to(walk, id, 160)?;
    advance_to(walk, id, 165)?;
    render(walk, id, 166, false)?;
    // The lessons-learned document shows the phase history too, so it is rendered again
    // after closing to stay current.
    render(walk, id, 167, true)?;
    Ok(())
}

fn render(walk: &mut Walk, id: &str, minutes: i64, lessons: bool) -> Result<()> {
    let context = walk.at(minutes);
    if lessons {
        report::run_lessons(
            report::LessonsArgs {
                id: id.to_string(),
                output: None,
            },
            context,
        )?;
    } else {
        let args = report::ReportArgs {
            id: Some(id.to_string()),
            format: Format::Markdown,
            tlp: None,
            output: None,
            all: false,
            out: None,
            since: None,
        };
        report::run_report(args, context)?;
    }
    Ok(())
}
