//! Policy: what to do with a frame, given its scores.
//!
//! A policy is data, not code: a list of rules `{categories, threshold, action}`. A rule fires
//! when the sum of its categories' scores is at least its threshold; the most severe firing
//! action wins (`block > blur > warn > allow`). Presets are written in the same form and can be
//! printed with `safeframe policy show PRESET`.

use serde::{Deserialize, Serialize};

use crate::error::{Result, SafeFrameError};
use crate::scores::{Category, Scores};

/// What to do with a frame, from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Show the frame as it is.
    Allow,
    /// Show the frame, and tell the app to warn the user.
    Warn,
    /// Obscure the frame so its content is unrecognisable.
    Blur,
    /// Replace the frame with a solid fill.
    Block,
}

impl Action {
    /// The lowercase name used in JSON (`"block"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Warn => "warn",
            Self::Blur => "blur",
            Self::Block => "block",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One rule of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The categories whose scores are summed (in this order, in `f32`).
    pub categories: Vec<Category>,
    /// The rule fires when the sum is at least this.
    pub threshold: f32,
    /// What the rule asks for when it fires.
    pub action: Action,
}

impl Rule {
    /// Whether this rule fires for `scores`.
    pub fn fires(&self, scores: &Scores) -> bool {
        let sum: f32 = self.categories.iter().map(|&c| scores.get(c)).sum();
        sum >= self.threshold
    }
}

/// The built-in policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// The default: blocks explicit content, blurs suggestive content.
    Child,
    /// Higher thresholds; warns on borderline content.
    Teen,
    /// Only warns, on confident explicit content.
    Adult,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 3] = [Self::Child, Self::Teen, Self::Adult];

    /// The preset's name (`"child"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Child => "child",
            Self::Teen => "teen",
            Self::Adult => "adult",
        }
    }

    /// Looks a preset up by name.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| SafeFrameError::UnknownPreset(name.to_owned()))
    }
}

/// A list of rules that turns [`Scores`] into a [`Verdict`].
///
/// ```
/// use safeframe::policy::{Action, Policy, Preset};
/// use safeframe::scores::{Category, Scores};
/// let policy = Policy::preset(Preset::Child);
/// let verdict = policy.evaluate(&Scores::new([0.0, 0.05, 0.5, 0.45, 0.0]));
/// assert_eq!(verdict.action, Action::Block);
/// assert_eq!(verdict.category, Some(Category::Porn));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The policy's name, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The rules, in any order.
    pub rules: Vec<Rule>,
}

/// A blocklist entry the frame's PDQ hash matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownMatch {
    /// 0-based index of the entry in its blocklist (look its label up there).
    pub entry: u32,
    /// Hamming distance between the entry and the nearest of the frame's dihedral hashes.
    pub distance: u32,
}

/// The outcome of classifying one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// What to do with the frame.
    pub action: Action,
    /// The category that decided it; `None` when the action is [`Action::Allow`].
    pub category: Option<Category>,
    /// The scores the verdict was made from.
    pub scores: Scores,
    /// The blocklist match that decided the verdict, if any (then the action is block and the
    /// category [`Category::Known`]).
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub known: Option<KnownMatch>,
}

impl Verdict {
    /// The verdict for a frame that could not be classified while failing closed: blocked,
    /// with no category and zero scores.
    pub const fn fail_closed() -> Self {
        Self {
            action: Action::Block,
            category: None,
            scores: Scores::new([0.0; 5]),
            known: None,
        }
    }
}

fn rule(categories: &[Category], threshold: f32, action: Action) -> Rule {
    Rule {
        categories: categories.to_vec(),
        threshold,
        action,
    }
}

impl Policy {
    /// A built-in preset.
    pub fn preset(preset: Preset) -> Self {
        use Action::{Block, Blur, Warn};
        use Category::{Hentai, Porn, Sexy};
        let rules = match preset {
            Preset::Child => vec![
                rule(&[Porn], 0.40, Block),
                rule(&[Hentai], 0.40, Block),
                rule(&[Sexy], 0.40, Blur),
                rule(&[Porn, Hentai, Sexy], 0.50, Blur),
            ],
            Preset::Teen => vec![
                rule(&[Porn], 0.60, Block),
                rule(&[Hentai], 0.60, Block),
                rule(&[Sexy], 0.70, Blur),
                rule(&[Porn, Hentai, Sexy], 0.50, Warn),
            ],
            Preset::Adult => vec![rule(&[Porn], 0.80, Warn), rule(&[Hentai], 0.80, Warn)],
        };
        Self {
            name: Some(preset.name().to_owned()),
            rules,
        }
    }

    /// Parses a policy from JSON in the form [`Policy::to_json`] prints, validating every rule.
    ///
    /// ```
    /// let policy = safeframe::policy::Policy::from_json(
    ///     r#"{"rules":[{"categories":["porn"],"threshold":0.5,"action":"blur"}]}"#)?;
    /// assert_eq!(policy.rules.len(), 1);
    /// let err = safeframe::policy::Policy::from_json(
    ///     r#"{"rules":[{"categories":["porn"],"threshold":1.5,"action":"blur"}]}"#).unwrap_err();
    /// assert!(err.to_string().contains("rules[0].threshold"));
    /// # Ok::<(), safeframe::SafeFrameError>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| SafeFrameError::policy("", e.to_string()))?;
        let object = value
            .as_object()
            .ok_or_else(|| SafeFrameError::policy("", "a policy is a JSON object with a `rules` list"))?;
        if let Some(key) = object.keys().find(|k| *k != "name" && *k != "rules") {
            return Err(SafeFrameError::policy(
                key.as_str(),
                "unknown field; expected `name` and `rules`",
            ));
        }
        let name = match object.get("name") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(SafeFrameError::policy("name", "must be a string")),
        };
        let rules_json = object
            .get("rules")
            .and_then(|r| r.as_array())
            .ok_or_else(|| SafeFrameError::policy("rules", "must be a list of rules"))?;
        if rules_json.is_empty() {
            return Err(SafeFrameError::policy("rules", "a policy needs at least one rule"));
        }
        let rules = rules_json
            .iter()
            .enumerate()
            .map(|(i, r)| parse_rule(i, r))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { name, rules })
    }

    /// The policy as pretty-printed JSON, in the form [`Policy::from_json`] reads.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The verdict for `scores`.
    ///
    /// The action is the most severe firing action; the category is the one with the highest
    /// score among the categories of every firing rule with that action (the first in
    /// [`Category::ALL`] order on a tie). Non-finite scores never reach here: the classifier
    /// rejects them.
    pub fn evaluate(&self, scores: &Scores) -> Verdict {
        let action = self
            .rules
            .iter()
            .filter(|r| r.fires(scores))
            .map(|r| r.action)
            .max()
            .unwrap_or(Action::Allow);
        let category = if action == Action::Allow {
            None
        } else {
            self.rules
                .iter()
                .filter(|r| r.action == action && r.fires(scores))
                .flat_map(|r| r.categories.iter().copied())
                .fold(None, |best: Option<Category>, c| match best {
                    Some(b) if scores.get(b) > scores.get(c) || (scores.get(b) == scores.get(c) && b < c) => Some(b),
                    _ => Some(c),
                })
        };
        Verdict {
            action,
            category,
            scores: *scores,
            known: None,
        }
    }

    /// The verdict for `scores` when the frame may also match known content: a match always
    /// blocks, whatever the scores say (category [`Category::Known`]).
    pub fn evaluate_with_match(&self, scores: &Scores, known: Option<KnownMatch>) -> Verdict {
        match known {
            Some(found) => Verdict {
                action: Action::Block,
                category: Some(Category::Known),
                scores: *scores,
                known: Some(found),
            },
            None => self.evaluate(scores),
        }
    }
}

fn parse_rule(index: usize, value: &serde_json::Value) -> Result<Rule> {
    let field = |name: &str| format!("rules[{index}].{name}");
    let object = value
        .as_object()
        .ok_or_else(|| SafeFrameError::policy(format!("rules[{index}]"), "must be an object"))?;
    if let Some(key) = object
        .keys()
        .find(|k| !["categories", "threshold", "action"].contains(&k.as_str()))
    {
        return Err(SafeFrameError::policy(
            field(key),
            "unknown field; expected categories, threshold, action",
        ));
    }
    let categories_json = object
        .get("categories")
        .and_then(|c| c.as_array())
        .ok_or_else(|| SafeFrameError::policy(field("categories"), "must be a list of category names"))?;
    if categories_json.is_empty() {
        return Err(SafeFrameError::policy(
            field("categories"),
            "must name at least one category",
        ));
    }
    let mut categories = Vec::with_capacity(categories_json.len());
    for (j, c) in categories_json.iter().enumerate() {
        let name = c.as_str().unwrap_or("");
        let category = Category::from_name(name).ok_or_else(|| {
            SafeFrameError::policy(
                format!("rules[{index}].categories[{j}]"),
                format!("unknown category {c}; expected one of drawing, hentai, neutral, porn, sexy"),
            )
        })?;
        if categories.contains(&category) {
            return Err(SafeFrameError::policy(
                format!("rules[{index}].categories[{j}]"),
                "category listed twice",
            ));
        }
        categories.push(category);
    }
    let threshold = object
        .get("threshold")
        .and_then(|t| t.as_f64())
        .ok_or_else(|| SafeFrameError::policy(field("threshold"), "must be a number"))?;
    if !(0.0..=1.0).contains(&threshold) {
        return Err(SafeFrameError::policy(
            field("threshold"),
            format!("{threshold} is outside 0..=1"),
        ));
    }
    let action = match object.get("action").and_then(|a| a.as_str()) {
        Some("warn") => Action::Warn,
        Some("blur") => Action::Blur,
        Some("block") => Action::Block,
        Some("allow") => {
            return Err(SafeFrameError::policy(
                field("action"),
                "a rule cannot allow; frames no rule flags are allowed",
            ))
        }
        _ => {
            return Err(SafeFrameError::policy(
                field("action"),
                "must be one of warn, blur, block",
            ))
        }
    };
    Ok(Rule {
        categories,
        threshold: threshold as f32,
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(drawing: f32, hentai: f32, neutral: f32, porn: f32, sexy: f32) -> Scores {
        Scores::new([drawing, hentai, neutral, porn, sexy])
    }

    #[test]
    fn thresholds_are_inclusive_at_the_exact_edge() {
        let child = Policy::preset(Preset::Child);
        assert_eq!(child.evaluate(&scores(0.0, 0.0, 0.6, 0.40, 0.0)).action, Action::Block);
        let below = f32::from_bits(0.40f32.to_bits() - 1);
        assert_eq!(child.evaluate(&scores(0.0, 0.0, 0.6, below, 0.0)).action, Action::Allow);
        assert_eq!(child.evaluate(&scores(0.0, 0.40, 0.6, 0.0, 0.0)).action, Action::Block);
        assert_eq!(child.evaluate(&scores(0.0, 0.0, 0.6, 0.0, 0.40)).action, Action::Blur);
    }

    #[test]
    fn summed_rule_fires_on_the_sum() {
        let child = Policy::preset(Preset::Child);
        let v = child.evaluate(&scores(0.0, 0.125, 0.5, 0.25, 0.125));
        assert_eq!((v.action, v.category), (Action::Blur, Some(Category::Porn)));
        let v = child.evaluate(&scores(0.0, 0.125, 0.51, 0.24, 0.125));
        assert_eq!((v.action, v.category), (Action::Allow, None));
        let teen = Policy::preset(Preset::Teen);
        let v = teen.evaluate(&scores(0.0, 0.25, 0.5, 0.0, 0.25));
        assert_eq!((v.action, v.category), (Action::Warn, Some(Category::Hentai)));
    }

    #[test]
    fn most_severe_action_wins_and_names_the_top_category_of_its_rules() {
        let child = Policy::preset(Preset::Child);
        // sexy fires blur at 0.45, hentai fires block at 0.41; block wins, category hentai even
        // though sexy scores higher.
        let v = child.evaluate(&scores(0.0, 0.41, 0.14, 0.0, 0.45));
        assert_eq!((v.action, v.category), (Action::Block, Some(Category::Hentai)));
        // Both block rules fire: the higher score names the verdict.
        let v = child.evaluate(&scores(0.0, 0.45, 0.1, 0.45, 0.0));
        assert_eq!((v.action, v.category), (Action::Block, Some(Category::Hentai)));
        let v = child.evaluate(&scores(0.0, 0.44, 0.1, 0.46, 0.0));
        assert_eq!((v.action, v.category), (Action::Block, Some(Category::Porn)));
    }

    #[test]
    fn adult_only_warns_on_confident_content() {
        let adult = Policy::preset(Preset::Adult);
        assert_eq!(adult.evaluate(&scores(0.0, 0.0, 0.21, 0.79, 0.0)).action, Action::Allow);
        assert_eq!(adult.evaluate(&scores(0.0, 0.0, 0.2, 0.80, 0.0)).action, Action::Warn);
        assert_eq!(adult.evaluate(&scores(0.0, 0.0, 0.0, 0.0, 1.0)).action, Action::Allow);
    }

    #[test]
    fn presets_round_trip_through_json() {
        for preset in Preset::ALL {
            let policy = Policy::preset(preset);
            assert_eq!(Policy::from_json(&policy.to_json()).unwrap(), policy);
        }
    }

    #[test]
    fn bad_policies_name_the_field() {
        let cases = [
            (r#"{"rules":[]}"#, "rules"),
            (
                r#"{"rules":[{"categories":["pron"],"threshold":0.5,"action":"blur"}]}"#,
                "rules[0].categories[0]",
            ),
            (
                r#"{"rules":[{"categories":["porn"],"threshold":"high","action":"blur"}]}"#,
                "rules[0].threshold",
            ),
            (
                r#"{"rules":[{"categories":["porn"],"threshold":0.5,"action":"allow"}]}"#,
                "rules[0].action",
            ),
            (
                r#"{"rules":[{"categories":["porn"],"threshold":0.5,"action":"blur","x":1}]}"#,
                "rules[0].x",
            ),
            (
                r#"{"rules":[{"categories":[],"threshold":0.5,"action":"blur"}]}"#,
                "rules[0].categories",
            ),
            (r#"{"rulez":[]}"#, "rulez"),
            ("[1]", ""),
            ("{", ""),
        ];
        for (json, want) in cases {
            match Policy::from_json(json) {
                Err(SafeFrameError::InvalidPolicy { field, .. }) => assert_eq!(field, want, "{json}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_known_content_match_blocks_whatever_the_scores() {
        let adult = Policy::preset(Preset::Adult);
        let clean = scores(0.0, 0.0, 1.0, 0.0, 0.0);
        let found = KnownMatch { entry: 3, distance: 7 };
        let v = adult.evaluate_with_match(&clean, Some(found));
        assert_eq!(
            (v.action, v.category, v.known),
            (Action::Block, Some(Category::Known), Some(found))
        );
        let json = serde_json::to_value(v).unwrap();
        assert_eq!(json["category"], "known");
        assert_eq!(json["match"]["distance"], 7);
        assert_eq!(adult.evaluate_with_match(&clean, None), adult.evaluate(&clean));
        assert!(serde_json::to_value(adult.evaluate(&clean))
            .unwrap()
            .get("match")
            .is_none());
        // `known` is not a score category: rules cannot name it.
        assert!(Policy::from_json(r#"{"rules":[{"categories":["known"],"threshold":0.5,"action":"block"}]}"#).is_err());
    }

    #[test]
    fn unknown_preset_is_an_error() {
        assert!(matches!(
            Preset::from_name("kid"),
            Err(SafeFrameError::UnknownPreset(_))
        ));
        assert_eq!(Preset::from_name("teen").unwrap(), Preset::Teen);
    }
}
