//! The policy JSON reader (`Policy::from_json`, what `--policy FILE`, `safeframe_filter_new` and
//! the bindings' `Policy.fromJson` read) and the evaluation of what it accepts.
//!
//! Checks: no panic; an accepted policy prints (`to_json`) to JSON that reads back to the same
//! policy; evaluating it on scores taken from the input never panics, and a verdict that is not
//! `allow` names a category and the rule that decided it; `evaluate_pending` is never less
//! severe than `evaluate`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safeframe::policy::{Action, Policy};
use safeframe::scores::{LabelScores, Scores};

fuzz_target!(|data: &[u8]| {
    // The last 20 bytes (when there are more than 20) are five scores; the rest is the JSON.
    let (json, scores) = if data.len() > 20 {
        data.split_at(data.len() - 20)
    } else {
        (data, &[][..])
    };
    let Ok(json) = std::str::from_utf8(json) else { return };
    let Ok(policy) = Policy::from_json(json) else { return };
    let printed = policy.to_json();
    let again =
        Policy::from_json(&printed).unwrap_or_else(|e| panic!("to_json output does not read back: {e}\n{printed}"));
    assert_eq!(again, policy, "{printed}");
    let _ = policy.check_models(None);

    let mut values = [0.2f32; 5];
    for (v, b) in values.iter_mut().zip(scores.chunks_exact(4)) {
        // Scores the classifier could give: finite, 0..=1.
        let x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        *v = if x.is_finite() { x.abs().fract() } else { 0.0 };
    }
    let scores = Scores::new(values);
    let verdict = policy.evaluate(&scores);
    if verdict.action != Action::Allow {
        assert!(verdict.category.is_some(), "{verdict:?}");
        let rule = verdict.rule.expect("a flagged verdict names its rule") as usize;
        assert_eq!(policy.rules[rule].action, verdict.action);
        assert!(policy.rules[rule].fires(&scores));
    } else {
        assert_eq!((verdict.category, verdict.rule), (None, None));
    }
    let pending = policy.evaluate_pending(&scores);
    assert!(pending.action >= verdict.action);
    let _ = policy.needs_second_opinion(&scores);
    let labels = ["nsfw".to_owned(), "sfw".to_owned()];
    if let Some(second) = LabelScores::new(&[values[3], values[1]]) {
        let with_second = policy.evaluate_models(
            &scores,
            Some(safeframe::policy::SecondScores {
                labels: &labels,
                scores: second,
            }),
        );
        assert!(pending.action >= with_second.action);
        assert!(with_second.action >= verdict.action);
    }
});
