use super::*;
use DriftStatus::{Drifted, Missing, Untracked};
use EnvClass::{Development, Production, Staging};
use Severity::{Critical, High, Low, Medium};
use proptest::prelude::*;

const H: i64 = HOUR_MS;
const MIN: i64 = 60_000;

fn clock(state: IncidentState, severity: Severity, sla: i64, activity: i64) -> Clock {
    Clock {
        state,
        severity,
        sla_started_at: sla,
        last_activity_at: activity,
    }
}

fn lived(env: &str, severity: Severity, opened: i64, ack: Option<i64>, res: Option<i64>) -> Lived {
    Lived {
        env: env.into(),
        severity,
        opened_at: opened,
        acknowledged_at: ack,
        resolved_at: res,
    }
}

fn arb_severity() -> impl Strategy<Value = Severity> {
    prop::sample::select(Severity::ALL.to_vec())
}

fn arb_state() -> impl Strategy<Value = IncidentState> {
    prop::sample::select(IncidentState::ALL.to_vec())
}

fn arb_class() -> impl Strategy<Value = EnvClass> {
    prop::sample::select(EnvClass::ALL.to_vec())
}

fn arb_risk() -> impl Strategy<Value = Option<Risk>> {
    prop::option::of(prop::sample::select(vec![
        Risk::Low,
        Risk::Medium,
        Risk::High,
    ]))
}

fn arb_policy() -> impl Strategy<Value = ClassPolicy> {
    (
        (0u64..400, 0u64..400, 0u64..400, 0u64..400),
        prop_oneof![Just(0u64), 1u64..10_000],
        prop::option::of(arb_severity()),
        arb_severity(),
    )
        .prop_map(|((c, h, m, l), ack, block, notify)| ClassPolicy {
            ttl_hours: Ttl {
                critical: c,
                high: h,
                medium: m,
                low: l,
            },
            ack_timeout_mins: ack,
            block_promotions_at: block,
            notify_at: notify,
        })
}

fn arb_clock() -> impl Strategy<Value = Clock> {
    (
        arb_state(),
        arb_severity(),
        -1_000_000_000_000i64..4_000_000_000_000,
        -1_000_000_000_000i64..4_000_000_000_000,
    )
        .prop_map(|(state, severity, sla, activity)| clock(state, severity, sla, activity))
}

/// The nearest-rank percentile by its definition: the smallest value with at least
/// p% of the values at or below it.
fn nearest_rank(values: &[i64], p: usize) -> i64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    *sorted
        .iter()
        .find(|v| sorted.iter().filter(|w| w <= v).count() * 100 >= p * sorted.len())
        .unwrap()
}

#[test]
fn drift_severity_follows_the_class_and_risk_table() {
    use Risk::{High as RH, Low as RL, Medium as RM};
    // DRIFTED: the diff's risk (none counts as LOW) placed by the class.
    let table = [
        (Production, Some(RH), Critical),
        (Production, Some(RM), High),
        (Production, Some(RL), Medium),
        (Production, None, Medium),
        (Staging, Some(RH), High),
        (Staging, Some(RM), Medium),
        (Staging, Some(RL), Low),
        (Staging, None, Low),
        (Development, Some(RH), Medium),
        (Development, Some(RM), Low),
        (Development, Some(RL), Low),
        (Development, None, Low),
    ];
    for (class, risk, expected) in table {
        assert_eq!(
            drift_severity(class, Drifted, risk),
            expected,
            "{class} DRIFTED {risk:?}"
        );
    }
    // MISSING counts as HIGH, whatever risk comes with it.
    for risk in [None, Some(RL), Some(RM), Some(RH)] {
        assert_eq!(drift_severity(Production, Missing, risk), Critical);
        assert_eq!(drift_severity(Staging, Missing, risk), High);
        assert_eq!(drift_severity(Development, Missing, risk), Medium);
    }
    // UNTRACKED counts as MEDIUM at least; a higher risk is kept.
    for risk in [None, Some(RL), Some(RM)] {
        assert_eq!(
            drift_severity(Production, Untracked, risk),
            High,
            "{risk:?}"
        );
        assert_eq!(drift_severity(Staging, Untracked, risk), Medium, "{risk:?}");
        assert_eq!(
            drift_severity(Development, Untracked, risk),
            Low,
            "{risk:?}"
        );
    }
    assert_eq!(drift_severity(Production, Untracked, Some(RH)), Critical);
    assert_eq!(drift_severity(Staging, Untracked, Some(RH)), High);
    assert_eq!(drift_severity(Development, Untracked, Some(RH)), Medium);
}

#[test]
fn executions_severity_by_class() {
    assert_eq!(executions_severity(Production), High);
    assert_eq!(executions_severity(Staging), Medium);
    assert_eq!(executions_severity(Development), Low);
}

#[test]
fn severity_order_text_and_up() {
    assert!(Low < Medium && Medium < High && High < Critical);
    assert_eq!(Severity::ALL, [Critical, High, Medium, Low], "worst first");
    assert_eq!(Low.up(), Medium);
    assert_eq!(Medium.up(), High);
    assert_eq!(High.up(), Critical);
    assert_eq!(Critical.up(), Critical, "critical stays critical");
    for s in Severity::ALL {
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
        assert_eq!(s.to_string(), s.as_str());
        assert_eq!(Severity::parse(s.as_str()), Some(s));
    }
    assert_eq!(Severity::parse("CRITICAL"), Some(Critical));
    assert_eq!(Severity::parse("  High\n"), Some(High));
    for bad in ["", "crit", "severe", "highest", "1", "low low"] {
        assert_eq!(Severity::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn incident_state_text_and_parse() {
    for s in IncidentState::ALL {
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
        assert_eq!(s.to_string(), s.as_str());
        assert_eq!(IncidentState::parse(s.as_str()), Some(s));
        assert_eq!(IncidentState::parse(&s.as_str().to_lowercase()), Some(s));
    }
    use IncidentState::*;
    for (text, expected) in [
        ("open", Some(Open)),
        (" Resolved ", Some(Resolved)),
        ("ack", Some(Acknowledged)),
        ("ACKED", Some(Acknowledged)),
        ("Acknowledged", Some(Acknowledged)),
        ("closed", None),
        ("acknowledge", None),
        ("", None),
    ] {
        assert_eq!(IncidentState::parse(text), expected, "{text:?}");
    }
    assert!(Open.is_open() && Acknowledged.is_open() && !Resolved.is_open());
}

#[test]
fn kinds_text_is_their_serde_form() {
    for k in [IncidentKind::Drift, IncidentKind::Executions] {
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.as_str())
        );
        assert_eq!(IncidentKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(IncidentKind::parse("Drift"), None);
    use EventKind::*;
    let all = [
        Opened,
        Changed,
        Acknowledged,
        Reopened,
        Escalated,
        SeverityChanged,
        Assigned,
        Note,
        Reverted,
        Accepted,
        PromotionStarted,
        Resolved,
        AutoResolved,
    ];
    for k in all {
        // Exhaustive: a new kind must be listed above.
        match k {
            Opened | Changed | Acknowledged | Reopened | Escalated | SeverityChanged | Assigned
            | Note | Reverted | Accepted | PromotionStarted | Resolved | AutoResolved => {}
        }
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.as_str())
        );
        assert_eq!(EventKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(SeverityChanged.as_str(), "severity_changed");
    assert_eq!(EventKind::parse("AutoResolved"), None);
    assert_eq!(EventKind::parse(""), None);
}

#[test]
fn ttl_in_milliseconds() {
    let ttl = Ttl::default();
    assert_eq!(ttl.ms(Critical), 24 * H);
    assert_eq!(ttl.ms(High), 48 * H);
    assert_eq!(ttl.ms(Medium), 72 * H);
    assert_eq!(ttl.ms(Low), 168 * H);
    let custom = Ttl {
        critical: 1,
        high: 0,
        medium: 5,
        low: u64::MAX,
    };
    assert_eq!(custom.ms(Critical), H);
    assert_eq!(custom.ms(High), 0);
    assert_eq!(custom.ms(Medium), 5 * H);
    assert_eq!(custom.ms(Low), i64::MAX, "saturates");
}

#[test]
fn sla_deadline_is_the_start_plus_the_ttl_of_the_severity() {
    let policy = ClassPolicy::default_for(Production);
    let c = clock(IncidentState::Open, Critical, 1_000, 0);
    assert_eq!(sla_deadline(&c, &policy), 1_000 + 24 * H);
    let c = clock(IncidentState::Acknowledged, Low, 5_000, 9_000);
    assert_eq!(sla_deadline(&c, &policy), 5_000 + 168 * H);
    let c = clock(IncidentState::Open, High, i64::MAX - 10, 0);
    assert_eq!(sla_deadline(&c, &policy), i64::MAX, "saturates");
}

#[test]
fn due_breaches_at_the_deadline_one_level_up() {
    let policy = ClassPolicy::default_for(Production);
    let c = clock(IncidentState::Open, High, 0, 0);
    assert_eq!(due(&c, &policy, 48 * H - 1), None);
    assert_eq!(due(&c, &policy, 48 * H), Some(Due::Breach { to: Critical }));
    assert_eq!(
        due(&c, &policy, 1_000 * H),
        Some(Due::Breach { to: Critical }),
        "one level however late"
    );
    // Already critical: marked breached, stays critical.
    let c = clock(IncidentState::Open, Critical, 0, 0);
    assert_eq!(due(&c, &policy, 24 * H), Some(Due::Breach { to: Critical }));
    // A sweep long overdue escalates one level, then the new level gets a full TTL.
    let mut c = clock(IncidentState::Open, Low, 0, 0);
    let now = 10_000 * H;
    assert_eq!(due(&c, &policy, now), Some(Due::Breach { to: Medium }));
    c.severity = Medium;
    c.sla_started_at = now;
    assert_eq!(
        due(&c, &policy, now),
        None,
        "a fresh TTL from the escalation"
    );
    assert_eq!(due(&c, &policy, now + 72 * H - 1), None);
    assert_eq!(
        due(&c, &policy, now + 72 * H),
        Some(Due::Breach { to: High })
    );
}

#[test]
fn due_reopens_an_acknowledged_incident_left_untouched() {
    let policy = ClassPolicy::default_for(Production); // 240 min
    let c = clock(IncidentState::Acknowledged, Medium, 0, 1_000);
    assert_eq!(due(&c, &policy, 1_000 + 240 * MIN - 1), None);
    assert_eq!(due(&c, &policy, 1_000 + 240 * MIN), Some(Due::Reopen));
    // OPEN never "reopens".
    let c = clock(IncidentState::Open, Medium, 0, 1_000);
    assert_eq!(due(&c, &policy, 1_000 + 240 * MIN), None);
    // A timeout of 0 never reopens.
    let never = ClassPolicy {
        ack_timeout_mins: 0,
        ..policy.clone()
    };
    let c = clock(IncidentState::Acknowledged, Low, 0, 0);
    assert_eq!(due(&c, &never, 100 * H), None);
    // Both due: the breach comes first; the reopen is left for the next call.
    let c = clock(IncidentState::Acknowledged, Medium, 0, 0);
    assert_eq!(due(&c, &policy, 72 * H), Some(Due::Breach { to: High }));
    let after = Clock {
        severity: High,
        sla_started_at: 72 * H,
        ..c
    };
    assert_eq!(due(&after, &policy, 72 * H), Some(Due::Reopen));
}

#[test]
fn resolved_incidents_are_never_due() {
    let policy = ClassPolicy::default_for(Production);
    let c = clock(IncidentState::Resolved, Low, 0, 0);
    assert_eq!(due(&c, &policy, i64::MAX), None);
}

#[test]
fn notifications_from_the_class_threshold_up() {
    let prod = ClassPolicy::default_for(Production);
    assert!(!notifies(&prod, Low));
    assert!(notifies(&prod, Medium) && notifies(&prod, Critical));
    let dev = ClassPolicy::default_for(Development);
    assert!(!notifies(&dev, High) && notifies(&dev, Critical));
}

#[test]
fn spread_is_mean_and_nearest_rank_percentiles() {
    assert_eq!(spread(&mut []), None);
    assert_eq!(
        spread(&mut [7]),
        Some(Spread {
            count: 1,
            mean_ms: 7,
            p50_ms: 7,
            p90_ms: 7
        })
    );
    assert_eq!(
        spread(&mut [20, 10]),
        Some(Spread {
            count: 2,
            mean_ms: 15,
            p50_ms: 10,
            p90_ms: 20
        }),
        "p50 of two is the lower"
    );
    let mut ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    assert_eq!(
        spread(&mut ten),
        Some(Spread {
            count: 10,
            mean_ms: 5,
            p50_ms: 5,
            p90_ms: 9
        }),
        "mean 5.5 truncates"
    );
    let mut eleven: Vec<i64> = (1..=11).map(|v| v * 100).collect();
    let s = spread(&mut eleven).unwrap();
    assert_eq!((s.p50_ms, s.p90_ms, s.mean_ms), (600, 1_000, 600));
    let mut huge = [i64::MAX, i64::MAX];
    assert_eq!(spread(&mut huge).unwrap().mean_ms, i64::MAX, "no overflow");
}

#[test]
fn stats_group_by_environment_and_severity_within_the_period() {
    let incidents = [
        lived("prod", High, 1_000, Some(1_100), Some(2_000)),
        lived("prod", Critical, 1_500, Some(1_600), None),
        lived("dev", Low, 2_000, None, Some(5_000)),
        lived("prod", High, 3_000, Some(3_300), Some(3_500)),
        lived("prod", High, 3_500, None, None),
        // Outside [1000, 4000).
        lived("prod", High, 999, Some(1_000), Some(1_000)),
        lived("prod", Low, 4_000, Some(4_001), Some(4_002)),
    ];
    let rows = stats(&incidents, 1_000, 4_000);
    let keys: Vec<(&str, Severity)> = rows.iter().map(|r| (r.env.as_str(), r.severity)).collect();
    assert_eq!(
        keys,
        [("dev", Low), ("prod", Critical), ("prod", High)],
        "environment, then worst first"
    );
    let dev = &rows[0];
    assert_eq!((dev.opened, dev.resolved, dev.mtta), (1, 1, None));
    assert_eq!(dev.mttr.unwrap().mean_ms, 3_000);
    let crit = &rows[1];
    assert_eq!((crit.opened, crit.resolved, crit.mttr), (1, 0, None));
    assert_eq!(crit.mtta.unwrap().p90_ms, 100);
    let high = &rows[2];
    assert_eq!((high.opened, high.resolved), (3, 2));
    assert_eq!(
        high.mtta,
        Some(Spread {
            count: 2,
            mean_ms: 200,
            p50_ms: 100,
            p90_ms: 300
        })
    );
    assert_eq!(
        high.mttr,
        Some(Spread {
            count: 2,
            mean_ms: 750,
            p50_ms: 500,
            p90_ms: 1_000
        })
    );
    assert!(stats(&incidents, 5_000, 6_000).is_empty());
    assert!(
        stats(&incidents, 4_000, 1_000).is_empty(),
        "an empty period"
    );
}

#[test]
fn the_policy_round_trips_through_toml() {
    let policy = IncidentPolicy::default();
    let text = policy.to_toml();
    assert!(text.contains("block_promotions_at = \"never\""), "{text}");
    assert_eq!(IncidentPolicy::from_toml(&text).unwrap(), policy, "{text}");

    let mut custom = IncidentPolicy::default();
    custom.production.block_promotions_at = None;
    custom.development.block_promotions_at = Some(Low);
    custom.staging.ttl_hours.critical = 2;
    custom.executions.per_workflow = 0;
    custom.retention_days = 0;
    let text = custom.to_toml();
    assert_eq!(IncidentPolicy::from_toml(&text).unwrap(), custom, "{text}");
    // Through JSON too (the service sends it to remote faces).
    let json = serde_json::to_string(&custom).unwrap();
    assert_eq!(
        serde_json::from_str::<IncidentPolicy>(&json).unwrap(),
        custom
    );
}

#[test]
fn a_class_section_keeps_that_classs_defaults() {
    let policy = IncidentPolicy::from_toml(
        "retention_days = 7\n\
         [development]\nack_timeout_mins = 60\n\
         [staging.ttl_hours]\ncritical = 4\n\
         [production]\nblock_promotions_at = \"Never\"\n",
    )
    .unwrap();
    let defaults = IncidentPolicy::default();
    assert_eq!(
        policy.development,
        ClassPolicy {
            ack_timeout_mins: 60,
            ..ClassPolicy::default_for(Development)
        }
    );
    assert_eq!(
        policy.development.block_promotions_at, None,
        "not production's"
    );
    assert_eq!(
        policy.staging.ttl_hours,
        Ttl {
            critical: 4,
            ..Ttl::default()
        }
    );
    assert_eq!(policy.staging.notify_at, High);
    assert_eq!(
        policy.production,
        ClassPolicy {
            block_promotions_at: None,
            ..ClassPolicy::default_for(Production)
        }
    );
    assert_eq!(policy.retention_days, 7);
    assert_eq!(policy.drift_history_days, defaults.drift_history_days);
    assert_eq!(policy.executions, defaults.executions);
    assert_eq!(IncidentPolicy::from_toml("").unwrap(), defaults);
    let null =
        serde_json::from_str::<IncidentPolicy>(r#"{"staging":{"block_promotions_at":null}}"#)
            .unwrap();
    assert_eq!(null.staging.block_promotions_at, None);
}

#[test]
fn a_bad_policy_is_refused_naming_the_line() {
    for (text, line, words) in [
        (
            "retention_days = 7\n[production]\nnotify_at = \"loud\"\n",
            "line 3",
            "loud",
        ),
        (
            "[staging]\nblock_promotions_at = \"sometimes\"\n",
            "line 2",
            "sometimes",
        ),
        ("[production]\nttl = 3\n", "line 2", "ttl"),
        ("[qa]\n", "line 1", "qa"),
    ] {
        let err = IncidentPolicy::from_toml(text).unwrap_err();
        assert!(err.contains(line) && err.contains(words), "{text:?}: {err}");
    }
}

#[test]
fn a_zero_ttl_or_a_window_of_nothing_is_refused_naming_the_key() {
    assert_eq!(IncidentPolicy::default().validate(), Ok(()));
    for (text, key) in [
        (
            "[production.ttl_hours]\ncritical = 0\n",
            "production.ttl_hours.critical",
        ),
        (
            "[staging]\nttl_hours = { low = 0 }\n",
            "staging.ttl_hours.low",
        ),
        (
            "[development.ttl_hours]\nhigh = 0\nmedium = 0\n",
            "development.ttl_hours.high",
        ),
        ("[executions]\nwindow_mins = 0\n", "executions.window_mins"),
    ] {
        let err = IncidentPolicy::from_toml(text).unwrap_err();
        assert!(err.contains(key), "{text:?}: {err}");
        assert!(err.contains(" is 0"), "{text:?}: {err}");
    }
    // A window of 0 with the thresholds off is no threshold at all: fine.
    let off = "[executions]\nwindow_mins = 0\nper_workflow = 0\nper_environment = 0\n";
    assert!(IncidentPolicy::from_toml(off).is_ok());
    // The policy as written is valid TOML of itself, never an empty text.
    let text = IncidentPolicy::default().try_to_toml().unwrap();
    assert!(text.contains("[production.ttl_hours]"), "{text}");
    assert_eq!(IncidentPolicy::default().to_toml(), text);
}

#[test]
fn the_lifecycle_transitions() {
    use Action::*;
    use IncidentState::{Acknowledged, Open, Resolved};
    let table = [
        (Open, Acknowledge, Ok(Acknowledged)),
        (Acknowledged, Acknowledge, Err(Refusal::AlreadyAcknowledged)),
        (Resolved, Acknowledge, Err(Refusal::Resolved)),
        (Open, Resolve, Ok(Resolved)),
        (Acknowledged, Resolve, Ok(Resolved)),
        (Resolved, Resolve, Err(Refusal::Resolved)),
        (Open, Note, Ok(Open)),
        (Acknowledged, Note, Ok(Acknowledged)),
        (Resolved, Note, Ok(Resolved)),
        (Open, Assign, Ok(Open)),
        (Acknowledged, Assign, Ok(Acknowledged)),
        (Resolved, Assign, Err(Refusal::Resolved)),
        (Open, SetSeverity, Ok(Open)),
        (Acknowledged, SetSeverity, Ok(Acknowledged)),
        (Resolved, SetSeverity, Err(Refusal::Resolved)),
    ];
    assert_eq!(table.len(), IncidentState::ALL.len() * Action::ALL.len());
    for (state, action, expected) in table {
        assert_eq!(transition(state, action), expected, "{state} {action:?}");
    }
}

fn arb_ttl() -> impl Strategy<Value = Ttl> {
    (0u64..3, 0u64..3, 0u64..3, 0u64..3).prop_map(|(c, h, m, l)| Ttl {
        critical: c,
        high: h,
        medium: m,
        low: l,
    })
}

proptest! {
    #[test]
    fn severity_parse_ignores_case_and_spaces(s in arb_severity(), mask in any::<u16>(), pad in 0usize..3) {
        let text: String = s.as_str().chars().enumerate().map(|(i, c)| {
            if mask & (1 << (i % 16)) != 0 { c.to_ascii_uppercase() } else { c }
        }).collect();
        let padded = format!("{}{text}{}", " ".repeat(pad), "\t".repeat(pad));
        prop_assert_eq!(Severity::parse(&padded), Some(s));
        prop_assert_eq!(IncidentState::parse(&format!(" {} ", s.as_str())), None);
    }

    #[test]
    fn up_is_one_level_and_never_down(s in arb_severity()) {
        let up = s.up();
        prop_assert!(up >= s);
        prop_assert_eq!(up == s, s == Critical);
        let rank = |x: Severity| Severity::ALL.iter().rev().position(|y| *y == x).unwrap();
        prop_assert!(rank(up) - rank(s) <= 1);
    }

    #[test]
    fn drift_severity_never_falls_with_more_risk_or_a_stricter_class(
        class in arb_class(), other in arb_class(), a in arb_risk(), b in arb_risk(),
    ) {
        for status in [Drifted, Missing, Untracked] {
            if a <= b {
                prop_assert!(drift_severity(class, status, a) <= drift_severity(class, status, b));
            }
            if class <= other {
                prop_assert!(drift_severity(class, status, a) <= drift_severity(other, status, a));
            }
        }
        prop_assert_eq!(drift_severity(class, Missing, a), drift_severity(class, Drifted, Some(Risk::High)));
        prop_assert!(drift_severity(class, Untracked, a) >= drift_severity(class, Drifted, Some(Risk::Medium)));
    }

    #[test]
    fn ttl_ms_never_panics_and_is_hours(hours in any::<u64>(), s in arb_severity()) {
        let ttl = Ttl { critical: hours, high: hours, medium: hours, low: hours };
        let ms = ttl.ms(s);
        prop_assert!(ms >= 0);
        match i64::try_from(hours).ok().and_then(|h| h.checked_mul(H)) {
            Some(exact) => prop_assert_eq!(ms, exact),
            None => prop_assert_eq!(ms, i64::MAX),
        }
    }

    #[test]
    fn due_follows_its_rules(c in arb_clock(), policy in arb_policy(), now in -1_000_000_000_000i64..5_000_000_000_000) {
        let got = due(&c, &policy, now);
        let deadline = sla_deadline(&c, &policy);
        prop_assert_eq!(deadline, c.sla_started_at.saturating_add(policy.ttl_hours.ms(c.severity)));
        if c.state == IncidentState::Resolved {
            prop_assert_eq!(got, None);
        } else if now >= deadline {
            // Breach before reopen, one level at a time.
            prop_assert_eq!(got, Some(Due::Breach { to: c.severity.up() }));
        } else {
            let reopen = c.state == IncidentState::Acknowledged
                && policy.ack_timeout_mins > 0
                && now >= c.last_activity_at + policy.ack_timeout_mins as i64 * MIN;
            prop_assert_eq!(got, reopen.then_some(Due::Reopen));
        }
        if policy.ack_timeout_mins == 0 {
            prop_assert_ne!(got, Some(Due::Reopen));
        }
    }

    #[test]
    fn validation_refuses_exactly_the_zero_ttls(dev in arb_ttl(), staging in arb_ttl(), prod in arb_ttl()) {
        let mut policy = IncidentPolicy::default();
        policy.development.ttl_hours = dev;
        policy.staging.ttl_hours = staging;
        policy.production.ttl_hours = prod;
        let zero = [dev, staging, prod]
            .iter()
            .any(|t| [t.critical, t.high, t.medium, t.low].contains(&0));
        let checked = policy.validate();
        prop_assert_eq!(checked.is_err(), zero, "{:?}", checked);
        // What validation lets through round-trips through the editor's text.
        if !zero {
            prop_assert_eq!(IncidentPolicy::from_toml(&policy.to_toml()), Ok(policy));
        }
    }

    #[test]
    fn under_a_valid_policy_one_breach_is_due_per_ttl(
        c in arb_clock(), hours in (1u64..400, 1u64..400, 1u64..400, 1u64..400), class in arb_class(), now in 0i64..4_000_000_000_000,
    ) {
        let ttl = Ttl { critical: hours.0, high: hours.1, medium: hours.2, low: hours.3 };
        let mut policy = IncidentPolicy::default();
        policy.production.ttl_hours = ttl;
        policy.staging.ttl_hours = ttl;
        policy.development.ttl_hours = ttl;
        prop_assert_eq!(policy.validate(), Ok(()));
        let class_policy = policy.class(class);
        // What a breach leaves behind: the next level, its TTL starting now.
        if let Some(Due::Breach { to }) = due(&c, class_policy, now) {
            let after = Clock { severity: to, sla_started_at: now, ..c };
            let breach = |at| matches!(due(&after, class_policy, at), Some(Due::Breach { .. }));
            prop_assert!(!breach(now), "breached again at once");
            prop_assert!(!breach(now + HOUR_MS - 1), "breached again within the hour");
        }
    }

    #[test]
    fn only_a_resolve_resolves_and_a_resolved_incident_takes_notes_only(
        state in arb_state(), i in 0usize..5,
    ) {
        let action = Action::ALL[i];
        match transition(state, action) {
            Ok(next) => {
                prop_assert_eq!(next == IncidentState::Resolved, action == Action::Resolve || state == IncidentState::Resolved);
                if state == IncidentState::Resolved {
                    prop_assert_eq!(action, Action::Note);
                }
                if action == Action::Acknowledge {
                    prop_assert_eq!((state, next), (IncidentState::Open, IncidentState::Acknowledged));
                }
            }
            Err(Refusal::Resolved) => prop_assert!(state == IncidentState::Resolved && action != Action::Note),
            Err(Refusal::AlreadyAcknowledged) => {
                prop_assert_eq!((state, action), (IncidentState::Acknowledged, Action::Acknowledge));
            }
        }
    }

    #[test]
    fn spread_matches_the_definitions(mut values in prop::collection::vec(-1_000_000_000i64..1_000_000_000_000, 1..60)) {
        let original = values.clone();
        let s = spread(&mut values).unwrap();
        prop_assert_eq!(s.count, original.len());
        prop_assert_eq!(s.p50_ms, nearest_rank(&original, 50));
        prop_assert_eq!(s.p90_ms, nearest_rank(&original, 90));
        prop_assert!(s.p50_ms <= s.p90_ms);
        let sum: i128 = original.iter().map(|v| i128::from(*v)).sum();
        prop_assert_eq!(i128::from(s.mean_ms), sum / original.len() as i128);
        let (min, max) = (*original.iter().min().unwrap(), *original.iter().max().unwrap());
        prop_assert!(min <= s.mean_ms && s.mean_ms <= max);
    }

    #[test]
    fn stats_count_every_incident_of_the_period_once(
        raw in prop::collection::vec(
            (0usize..3, arb_severity(), 0i64..10_000, prop::option::of(0i64..5_000), prop::option::of(0i64..5_000)),
            0..40,
        ),
        from in 0i64..5_000,
        len in 0i64..10_000,
    ) {
        let envs = ["dev", "prod", "staging"];
        let incidents: Vec<Lived> = raw
            .iter()
            .map(|(e, s, at, ack, res)| lived(envs[*e], *s, *at, ack.map(|d| at + d), res.map(|d| at + d)))
            .collect();
        let to = from + len;
        let rows = stats(&incidents, from, to);
        let inside: Vec<&Lived> = incidents.iter().filter(|i| i.opened_at >= from && i.opened_at < to).collect();
        prop_assert_eq!(rows.iter().map(|r| r.opened).sum::<usize>(), inside.len());
        prop_assert_eq!(
            rows.iter().map(|r| r.resolved).sum::<usize>(),
            inside.iter().filter(|i| i.resolved_at.is_some()).count()
        );
        // Sorted by environment, then worst first, each group once.
        for pair in rows.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            prop_assert!(a.env < b.env || (a.env == b.env && a.severity > b.severity));
        }
        for r in &rows {
            let group: Vec<&&Lived> = inside.iter().filter(|i| i.env == r.env && i.severity == r.severity).collect();
            prop_assert_eq!(r.opened, group.len());
            prop_assert!(r.opened > 0);
            prop_assert_eq!(r.mtta.map_or(0, |s| s.count), group.iter().filter(|i| i.acknowledged_at.is_some()).count());
            prop_assert_eq!(r.mttr.map_or(0, |s| s.count), r.resolved);
        }
    }
}
