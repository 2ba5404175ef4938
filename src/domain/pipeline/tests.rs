//! Pipeline validation, gate evaluation and (de)serialization.

use super::*;
use crate::domain::drift::DriftStatus;
use chrono::{DateTime, TimeZone, Utc};

fn cred(t: &str, name: &str) -> CredentialRef {
    CredentialRef {
        id: None,
        name: name.into(),
        cred_type: t.into(),
    }
}

fn stage(from: &str, to: &str) -> Stage {
    Stage {
        from: from.into(),
        to: to.into(),
        gates: Gates::default(),
        activation: Activation::default(),
        credentials: BTreeMap::new(),
    }
}

fn pipeline(name: &str, stages: Vec<Stage>) -> Pipeline {
    Pipeline {
        name: name.into(),
        description: String::new(),
        stages,
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// A full example, as TOML.
const FULL: &str = r#"
name = "release"
description = "development to production"

[[stages]]
from = "development"
to = "staging"

[[stages]]
from = "staging"
to = "production"
activation = "follow_source"

[stages.credentials]
"slackApi:dev-alerts" = "prod-alerts"
postgres-dev = "postgres-prod"

[stages.gates]
drift = true
credentials = true
approvals = 2

[stages.gates.windows]
timezone = "Europe/Berlin"
allow = ["* 9-16 * * mon-thu"]
deny = ["* * 24-26 dec *"]

[stages.gates.validation]
kind = "http"
url = "https://status.example.com/health"
expect_status = 204
"#;

#[test]
fn a_full_example_parses_and_round_trips_through_toml_and_json() {
    let p: Pipeline = toml::from_str(FULL).unwrap();
    p.validate().unwrap();
    assert_eq!(p.stages.len(), 2);
    let first = &p.stages[0];
    assert_eq!(first.gates, Gates::default());
    assert!(first.gates.drift && first.gates.credentials);
    assert_eq!(first.activation, Activation::KeepTarget);
    let prod = &p.stages[1];
    assert_eq!(prod.activation, Activation::FollowSource);
    assert_eq!(prod.gates.approvals, 2);
    assert_eq!(prod.credentials.len(), 2);
    assert_eq!(
        prod.gates.validation,
        Some(Validation::Http {
            url: "https://status.example.com/health".into(),
            method: "GET".into(),
            expect_status: 204,
            timeout_secs: 30,
        })
    );
    assert_eq!(p.stage("staging", "production"), Some(prod));
    assert_eq!(p.stage("production", "staging"), None);

    let again: Pipeline = toml::from_str(&toml::to_string(&p).unwrap()).unwrap();
    assert_eq!(again, p);
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["stages"][1]["gates"]["validation"]["kind"], "http");
    assert_eq!(json["stages"][1]["activation"], "follow_source");
    let again: Pipeline = serde_json::from_value(json).unwrap();
    assert_eq!(again, p);

    let cmd: Validation =
        toml::from_str("kind = \"command\"\ncommand = [\"./smoke.sh\", \"prod\"]\n").unwrap();
    assert_eq!(
        cmd,
        Validation::Command {
            command: vec!["./smoke.sh".into(), "prod".into()],
            timeout_secs: 30
        }
    );
}

#[test]
fn unknown_keys_are_refused() {
    let err = toml::from_str::<Pipeline>(
        "name = \"x\"\n[[stages]]\nfrom = \"a\"\nto = \"b\"\n[stages.gates]\napproval = 1\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("approval"), "{err}");
    let err = toml::from_str::<Validation>("kind = \"http\"\nurl = \"http://x\"\nstatus = 200\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("status"), "{err}");
}

#[test]
fn validation_errors_name_the_pipeline_and_the_stage() {
    let mut windows = stage("staging", "production");
    windows.gates.windows = Some(Windows {
        timezone: "Europe/Berlin".into(),
        allow: vec!["* 25 * * *".into()],
        deny: vec![],
    });
    let mut bad_tz = stage("staging", "production");
    bad_tz.gates.windows = Some(Windows {
        timezone: "Europe/Atlantis".into(),
        allow: vec![],
        deny: vec![],
    });
    let mut no_program = stage("staging", "production");
    no_program.gates.validation = Some(Validation::Command {
        command: vec![],
        timeout_secs: 5,
    });
    let mut bad_url = stage("staging", "production");
    bad_url.gates.validation = Some(Validation::Http {
        url: "ftp://x".into(),
        method: "GET".into(),
        expect_status: 200,
        timeout_secs: 5,
    });
    let mut bad_method = stage("staging", "production");
    bad_method.gates.validation = Some(Validation::Http {
        url: "https://x".into(),
        method: "get".into(),
        expect_status: 200,
        timeout_secs: 5,
    });
    let mut zero_timeout = stage("staging", "production");
    zero_timeout.gates.validation = Some(Validation::Command {
        command: vec!["true".into()],
        timeout_secs: 0,
    });
    let mut empty_mapping = stage("staging", "production");
    empty_mapping.credentials.insert("db".into(), " ".into());
    let cases = [
        (stage("dev", "dev"), "from and to are the same"),
        (stage("", "prod"), "from: invalid environment name ''"),
        (stage("dev", "prod uction"), "to: invalid environment name"),
        (
            windows,
            "windows: allow: invalid cron expression '* 25 * * *': hour field",
        ),
        (bad_tz, "unknown time zone 'Europe/Atlantis'"),
        (no_program, "must name a program"),
        (bad_url, "'ftp://x' must be an http(s) URL"),
        (bad_method, "method 'get'"),
        (zero_timeout, "timeout_secs must be at least 1"),
        (empty_mapping, "credential mapping 'db'"),
    ];
    for (bad, wanted) in cases {
        let p = pipeline("release", vec![stage("development", "staging"), bad]);
        let err = p.validate().unwrap_err().to_string();
        assert!(err.starts_with("pipeline 'release', stage 2 ("), "{err}");
        assert!(err.contains(wanted), "{wanted}: {err}");
    }

    let twice = pipeline("release", vec![stage("a", "b"), stage("a", "b")]);
    let err = twice.validate().unwrap_err().to_string();
    assert!(
        err.contains("stage 2 (a -> b): the same from -> to appears twice"),
        "{err}"
    );
    assert_eq!(
        pipeline("hotfix", vec![]).validate(),
        Err(PipelineError::NoStages("hotfix".into()))
    );
    assert_eq!(
        pipeline(" ", vec![stage("a", "b")]).validate(),
        Err(PipelineError::EmptyName)
    );
    let dup = [
        pipeline("release", vec![stage("a", "b")]),
        pipeline("release", vec![stage("b", "c")]),
    ];
    assert_eq!(
        validate_pipelines(&dup),
        Err(PipelineError::Duplicate("release".into()))
    );
}

#[test]
fn stages_need_not_chain_and_may_fan_out() {
    let p = pipeline(
        "regions",
        vec![
            stage("staging", "prod-eu"),
            stage("staging", "prod-us"),
            stage("dev", "qa"),
        ],
    );
    assert_eq!(validate_pipelines(&[p]), Ok(()));
}

#[test]
fn the_drift_gate_passes_in_sync_or_acknowledged_and_fails_otherwise() {
    let fact = |w: &str, status| DriftFact {
        workflow: w.into(),
        status,
    };
    let none = BTreeSet::new();
    let r = drift_gate(&[fact("a", DriftStatus::InSync)], &none);
    assert!(r.passed && r.gate == GateKind::Drift, "{r:?}");
    assert_eq!(r.detail, "the target is in sync");
    assert!(drift_gate(&[], &none).passed);

    let facts = [
        fact("a", DriftStatus::InSync),
        fact("b", DriftStatus::Drifted),
        fact("c", DriftStatus::Untracked),
        fact("d", DriftStatus::Missing),
    ];
    let r = drift_gate(&facts, &none);
    assert!(!r.passed);
    assert!(r.detail.contains("3 workflow(s)"), "{}", r.detail);
    assert!(
        r.detail.contains("b (DRIFTED), c (UNTRACKED), d (MISSING)"),
        "{}",
        r.detail
    );

    let some: BTreeSet<String> = ["b".to_string(), "c".to_string()].into();
    let r = drift_gate(&facts, &some);
    assert!(!r.passed && r.detail.contains("d (MISSING)") && !r.detail.contains("b ("));
    let all: BTreeSet<String> = ["b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let r = drift_gate(&facts, &all);
    assert!(r.passed, "{r:?}");
    assert_eq!(r.detail, "in sync, 3 drifted workflow(s) acknowledged");

    // An unreachable target cannot be acknowledged away.
    let unknown = [fact("e", DriftStatus::Unknown)];
    let acked: BTreeSet<String> = ["e".to_string()].into();
    let r = drift_gate(&unknown, &acked);
    assert!(!r.passed && r.detail.contains("e (unknown"), "{r:?}");
}

#[test]
fn the_credentials_gate_uses_the_mapping_then_the_same_name_by_type() {
    let mut s = stage("staging", "production");
    s.credentials
        .insert("slackApi:Alerts".into(), "Prod alerts".into());
    s.credentials
        .insert("Alerts".into(), "Generic alerts".into());
    s.credentials.insert("DB".into(), "Prod DB".into());
    let required = [
        cred("slackApi", "Alerts"),
        cred("httpBasicAuth", "Alerts"),
        cred("postgres", "DB"),
        cred("openAiApi", "OpenAI"),
    ];
    assert_eq!(s.target_credential_name(&required[0]), "Prod alerts");
    assert_eq!(s.target_credential_name(&required[1]), "Generic alerts");
    assert_eq!(s.target_credential_name(&required[2]), "Prod DB");
    assert_eq!(s.target_credential_name(&required[3]), "OpenAI");

    let target = [
        cred("slackApi", "Prod alerts"),
        cred("httpBasicAuth", "Generic alerts"),
        cred("postgres", "Prod DB"),
        cred("openAiApi", "OpenAI"),
    ];
    let r = credentials_gate(&s, &required, &target);
    assert!(r.passed, "{r:?}");
    assert_eq!(r.detail, "all 4 credential(s) exist in the target");

    // Same name but another type does not count; a missing mapped one says so.
    let target = [
        cred("slackApi", "Prod alerts"),
        cred("postgres", "Generic alerts"),
        cred("mysql", "OpenAI"),
    ];
    let missing = missing_credentials(&s, &required, &target);
    assert_eq!(
        missing,
        vec![
            MissingCredential {
                source: cred("httpBasicAuth", "Alerts"),
                target_name: "Generic alerts".into()
            },
            MissingCredential {
                source: cred("postgres", "DB"),
                target_name: "Prod DB".into()
            },
            MissingCredential {
                source: cred("openAiApi", "OpenAI"),
                target_name: "OpenAI".into()
            },
        ]
    );
    let r = credentials_gate(&s, &required, &target);
    assert!(!r.passed);
    assert_eq!(
        r.detail,
        "missing in the target: httpBasicAuth 'Alerts' (mapped to 'Generic alerts'), postgres 'DB' (mapped to 'Prod DB'), openAiApi 'OpenAI'"
    );
}

#[test]
fn the_approvals_gate_never_counts_the_requester_and_counts_each_approver_once() {
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let r = approvals_gate(&[], "ana", 0);
    assert!(r.passed && r.detail == "no approval required", "{r:?}");

    let r = approvals_gate(&v(&["ana", "bo", "bo"]), "ana", 2);
    assert!(!r.passed, "{r:?}");
    assert_eq!(
        r.detail,
        "1 of 2 approval(s) (bo); the requester's own approval does not count"
    );
    let r = approvals_gate(&v(&["ana"]), "ana", 1);
    assert!(!r.passed && r.detail.starts_with("0 of 1"), "{r:?}");

    let r = approvals_gate(&v(&["bo", "cy", "ana"]), "ana", 2);
    assert!(r.passed, "{r:?}");
    assert!(
        r.detail.starts_with("2 of 2 approval(s) (bo, cy)"),
        "{}",
        r.detail
    );
    assert!(approvals_gate(&v(&["bo", "cy", "dee"]), "ana", 2).passed);
}

#[test]
fn the_windows_gate_reports_the_decision() {
    let w = Windows {
        timezone: "UTC".into(),
        allow: vec![],
        deny: vec!["* * * * sat,sun".into()],
    };
    // 2025-06-07 is a Saturday.
    let r = windows_gate(&w, utc(2025, 6, 7, 10, 0));
    assert!(!r.passed && r.gate == GateKind::Windows);
    assert!(
        r.detail.contains("deny window '* * * * sat,sun'"),
        "{}",
        r.detail
    );
    assert!(windows_gate(&w, utc(2025, 6, 9, 10, 0)).passed);
}

#[test]
fn the_validation_gate_judges_exit_codes_and_statuses() {
    let cmd = Validation::Command {
        command: vec!["./smoke.sh".into(), "prod".into()],
        timeout_secs: 10,
    };
    let http = Validation::Http {
        url: "https://x/health".into(),
        method: "HEAD".into(),
        expect_status: 204,
        timeout_secs: 10,
    };
    let exited = |code, output: &str| ValidationOutcome::Exited {
        code,
        output: output.into(),
    };
    let r = validation_gate(&cmd, Some(&exited(Some(0), "ok\n")));
    assert!(r.passed && r.gate == GateKind::Validation);
    assert_eq!(r.detail, "command './smoke.sh prod' exited 0");
    let r = validation_gate(&cmd, Some(&exited(Some(3), "db unreachable\n")));
    assert!(!r.passed);
    assert_eq!(
        r.detail,
        "command './smoke.sh prod' exited 3: db unreachable"
    );
    let r = validation_gate(&cmd, Some(&exited(None, "")));
    assert!(
        !r.passed && r.detail.ends_with("was killed by a signal"),
        "{r:?}"
    );
    let long = "x".repeat(1000) + "END";
    let r = validation_gate(&cmd, Some(&exited(Some(1), &long)));
    assert!(
        r.detail.ends_with("END") && r.detail.len() < 500,
        "{}",
        r.detail.len()
    );

    let r = validation_gate(&http, Some(&ValidationOutcome::Responded { status: 204 }));
    assert!(r.passed);
    assert_eq!(r.detail, "HEAD https://x/health answered 204");
    let r = validation_gate(&http, Some(&ValidationOutcome::Responded { status: 200 }));
    assert!(!r.passed);
    assert_eq!(r.detail, "HEAD https://x/health answered 200, expected 204");

    let r = validation_gate(&http, Some(&ValidationOutcome::TimedOut));
    assert!(
        !r.passed && r.detail.ends_with("timed out after 10s"),
        "{r:?}"
    );
    let err = ValidationOutcome::Error {
        message: "connection refused".into(),
    };
    let r = validation_gate(&http, Some(&err));
    assert!(!r.passed && r.detail.ends_with("could not run: connection refused"));
    let r = validation_gate(&cmd, None);
    assert!(!r.passed && r.detail.ends_with("has not run"));
    // An outcome of the other kind never passes.
    assert!(!validation_gate(&cmd, Some(&ValidationOutcome::Responded { status: 200 })).passed);
    assert!(!validation_gate(&http, Some(&exited(Some(0), ""))).passed);
}

#[test]
fn evaluate_all_runs_the_stages_gates_in_order() {
    let p: Pipeline = toml::from_str(FULL).unwrap();
    let prod = &p.stages[1];
    let drift = [DriftFact {
        workflow: "Invoices".into(),
        status: DriftStatus::InSync,
    }];
    let acknowledged = BTreeSet::new();
    let required = [cred("slackApi", "dev-alerts")];
    let target = [cred("slackApi", "prod-alerts")];
    let approvers = ["ana".to_string(), "bo".to_string(), "cy".to_string()];
    let ok = ValidationOutcome::Responded { status: 204 };
    // Tuesday 2025-06-03 10:00 Berlin = 08:00 UTC.
    let facts = GateFacts {
        drift: &drift,
        acknowledged: &acknowledged,
        required_credentials: &required,
        target_credentials: &target,
        approvers: &approvers,
        requester: "ana",
        now: utc(2025, 6, 3, 8, 0),
        validation: Some(&ok),
    };
    let results = evaluate_all(prod, &facts);
    let kinds: Vec<GateKind> = results.iter().map(|r| r.gate).collect();
    assert_eq!(
        kinds,
        [
            GateKind::Drift,
            GateKind::Credentials,
            GateKind::Approvals,
            GateKind::Windows,
            GateKind::Validation
        ]
    );
    assert!(all_passed(&results), "{results:#?}");

    // Friday: outside the allow window; only that gate fails.
    let friday = GateFacts {
        now: utc(2025, 6, 6, 8, 0),
        ..facts.clone()
    };
    let results = evaluate_all(prod, &friday);
    let failed: Vec<GateKind> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.gate)
        .collect();
    assert_eq!(failed, [GateKind::Windows]);
    assert!(!all_passed(&results));

    // The first stage turns on only drift and credentials.
    let results = evaluate_all(&p.stages[0], &facts);
    assert_eq!(results.len(), 2);
    // Gates all off: nothing to pass.
    let mut open = stage("a", "b");
    open.gates.drift = false;
    open.gates.credentials = false;
    assert!(evaluate_all(&open, &facts).is_empty());
    assert!(all_passed(&[]));
}

#[test]
fn an_http_check_is_described_without_its_password() {
    let v = Validation::Http {
        url: "https://ops:s3cret@health.example/ready?x=a@b".into(),
        method: "GET".into(),
        expect_status: 200,
        timeout_secs: 5,
    };
    assert_eq!(v.describe(), "GET https://health.example/ready?x=a@b");
    assert_eq!(
        super::without_userinfo("http://host/path@x"),
        "http://host/path@x"
    );
    assert_eq!(super::without_userinfo("not a url"), "not a url");
}
