//! The verdict state of a stream: which verdict frames get, and when it may change.
//!
//! Input: one classification outcome at a time (scores, or a failure). Output: the verdict
//! in force. Rules:
//!
//! - one blur or block entering is enough: a classification whose action is blur or block
//!   takes effect at once, and a more severe one replaces a milder one at once;
//! - leaving blur/block needs `clear_after` consecutive *clean* classifications (allow or
//!   warn), however the redaction was entered (a hit, or a failure while failing closed); a
//!   milder redaction (blur after block) does not lower it and breaks the clean run;
//! - between allow and warn the verdict follows each classification;
//! - a failure blocks (fail closed) or, when the caller configured fail-open, leaves the
//!   verdict as it is (allow if there was none);
//! - a known-content match blocks at once and *holds*: while held, classifications neither
//!   replace the block nor count as clean; a later hash check without a match releases the
//!   hold, and then the `clear_after` rule above applies as for any block.

use crate::policy::{Action, Verdict};

/// Whether an action obscures the frame.
pub(crate) fn redacts(action: Action) -> bool {
    matches!(action, Action::Blur | Action::Block)
}

/// The verdict in force and the clean run towards leaving it.
#[derive(Debug, Clone)]
pub(crate) struct Hysteresis {
    clear_after: u32,
    fail_open: bool,
    current: Option<Verdict>,
    clean_run: u32,
    holding_known: bool,
}

impl Hysteresis {
    pub(crate) fn new(clear_after: u32, fail_open: bool) -> Self {
        Self {
            clear_after: clear_after.max(1),
            fail_open,
            current: None,
            clean_run: 0,
            holding_known: false,
        }
    }

    /// The verdict in force, or `None` before the first outcome.
    pub(crate) fn current(&self) -> Option<Verdict> {
        self.current
    }

    /// Whether the verdict in force redacts and only clean classifications can end it (no
    /// known-content hold): the stream then keeps classifying on its cadence even while
    /// frames do not change, so leaving takes `clear_after` classifications, not that many
    /// maximum ages.
    pub(crate) fn leaving(&self) -> bool {
        !self.holding_known && self.current.is_some_and(|verdict| redacts(verdict.action))
    }

    /// Takes a classification's verdict (the policy applied to its scores) into account.
    pub(crate) fn classified(&mut self, raw: Verdict) {
        if self.holding_known {
            self.clean_run = 0;
            return;
        }
        let Some(current) = self.current else {
            self.current = Some(raw);
            return;
        };
        if redacts(raw.action) {
            self.clean_run = 0;
            if raw.action >= current.action {
                self.current = Some(raw);
            }
        } else if redacts(current.action) {
            self.clean_run += 1;
            if self.clean_run >= self.clear_after {
                self.clean_run = 0;
                self.current = Some(raw);
            }
        } else {
            self.current = Some(raw);
        }
    }

    /// Takes a failure (inference error, dead worker, missing model) into account.
    pub(crate) fn failed(&mut self) {
        if self.fail_open {
            if self.current.is_none() {
                self.current = Some(crate::filter::OnError::FailOpen.unclassified_verdict());
            }
        } else {
            self.clean_run = 0;
            if !self.holding_known {
                self.current = Some(Verdict::fail_closed());
            }
        }
    }

    /// Takes a known-content check into account: `Some(verdict)` for a match (a block with
    /// its [`crate::policy::KnownMatch`]), `None` for a check without one.
    pub(crate) fn known(&mut self, matched: Option<Verdict>) {
        match matched {
            Some(verdict) => {
                self.clean_run = 0;
                self.holding_known = true;
                self.current = Some(verdict);
            }
            None => self.holding_known = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, Preset};
    use crate::scores::Scores;

    const CLEAN: Scores = Scores::new([0.0, 0.0, 1.0, 0.0, 0.0]);
    const PORN: Scores = Scores::new([0.0, 0.0, 0.1, 0.9, 0.0]);
    const SEXY: Scores = Scores::new([0.0, 0.0, 0.5, 0.0, 0.5]);

    fn actions(steps: &[Option<Scores>], clear_after: u32, fail_open: bool) -> Vec<Action> {
        let policy = Policy::preset(Preset::Child);
        let mut h = Hysteresis::new(clear_after, fail_open);
        steps
            .iter()
            .map(|step| {
                match step {
                    Some(scores) => h.classified(policy.evaluate(scores)),
                    None => h.failed(),
                }
                h.current().unwrap().action
            })
            .collect()
    }

    #[test]
    fn one_hit_enters_and_n_clean_classifications_leave() {
        use Action::{Allow, Block};
        let steps = [
            Some(CLEAN),
            Some(PORN),
            Some(CLEAN),
            Some(CLEAN),
            Some(CLEAN),
            Some(CLEAN),
        ];
        assert_eq!(actions(&steps, 3, false), [Allow, Block, Block, Block, Allow, Allow]);
        assert_eq!(actions(&steps, 1, false), [Allow, Block, Allow, Allow, Allow, Allow]);
    }

    #[test]
    fn a_hit_inside_the_clean_run_starts_it_again_and_milder_hits_do_not_lower_block() {
        use Action::{Allow, Block};
        let steps = [
            Some(PORN),
            Some(CLEAN),
            Some(SEXY),
            Some(CLEAN),
            Some(CLEAN),
            Some(CLEAN),
        ];
        assert_eq!(actions(&steps, 2, false), [Block, Block, Block, Block, Allow, Allow]);
    }

    #[test]
    fn blur_escalates_to_block_at_once() {
        use Action::{Block, Blur};
        let steps = [Some(SEXY), Some(PORN), Some(SEXY)];
        assert_eq!(actions(&steps, 2, false), [Blur, Block, Block]);
    }

    #[test]
    fn failures_block_and_clear_like_hits_unless_failing_open() {
        use Action::{Allow, Block};
        let steps = [Some(CLEAN), None, Some(CLEAN), Some(CLEAN)];
        assert_eq!(actions(&steps, 2, false), [Allow, Block, Block, Allow]);
        assert_eq!(actions(&steps, 2, true), [Allow, Allow, Allow, Allow]);
        assert_eq!(actions(&[None], 2, true), [Allow]);
        assert_eq!(actions(&[None], 2, false), [Block]);
    }

    #[test]
    fn a_known_match_holds_the_block_until_a_check_without_match_then_needs_clean_runs() {
        use crate::policy::KnownMatch;
        use crate::scores::Category;
        let policy = Policy::preset(Preset::Child);
        let found = KnownMatch { entry: 4, distance: 2 };
        let known = policy.evaluate_with_match(&CLEAN, Some(found));
        let mut h = Hysteresis::new(2, false);
        h.classified(policy.evaluate(&CLEAN));
        assert_eq!(h.current().unwrap().action, Action::Allow);
        h.known(Some(known));
        assert_eq!(h.current(), Some(known));
        // Held: clean classifications and a failure neither clear nor replace it.
        for _ in 0..5 {
            h.classified(policy.evaluate(&CLEAN));
        }
        h.failed();
        h.classified(policy.evaluate(&PORN));
        assert_eq!(h.current(), Some(known));
        // Released by a check without a match: two clean classifications clear it.
        h.known(None);
        h.classified(policy.evaluate(&CLEAN));
        assert_eq!(h.current().unwrap().category, Some(Category::Known));
        h.classified(policy.evaluate(&CLEAN));
        assert_eq!(h.current().unwrap().action, Action::Allow);
        // Fail-open filters hold known matches too: a known match is not a failure.
        let mut open = Hysteresis::new(1, true);
        open.known(Some(known));
        open.failed();
        open.classified(policy.evaluate(&CLEAN));
        assert_eq!(open.current(), Some(known));
    }
}
