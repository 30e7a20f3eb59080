//! Policy: what to do with a frame, given its scores.
//!
//! A policy is data, not code: a list of rules `{categories, threshold, action}`. A rule fires
//! when the sum of its categories' scores is at least its threshold; the most severe firing
//! action wins (`block > blur > warn > allow`). Presets are written in the same form and can be
//! printed with `safeframe policy show PRESET`.

use serde::{Deserialize, Serialize};

use crate::error::{Result, SafeFrameError};
use crate::manifest::ModelManifest;
use crate::scores::{Category, LabelScores, Scores};

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

/// Which loaded model a [`Condition`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelRole {
    /// The primary model (nsfwjs classes), which runs on every classified frame.
    #[default]
    Primary,
    /// The second-opinion model, run only when its answer could change the verdict (a
    /// cascade; see [`Policy::needs_second_opinion`]).
    Second,
}

impl ModelRole {
    /// The lowercase name used in JSON (`"second"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Second => "second",
        }
    }
}

/// One condition of a [`Rule`]: the sum of some labels' scores of one model reaches a
/// threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The model whose scores are read.
    pub model: ModelRole,
    /// Lowercase label names, summed in this order in `f32`: for the primary model the
    /// category names (`porn`, …); for the second model its manifest's labels (`nsfw`).
    pub labels: Vec<String>,
    /// The condition holds when the sum is at least this.
    pub threshold: f32,
}

/// The second model's scores with its labels, for [`Policy::evaluate_models`].
#[derive(Debug, Clone, Copy)]
pub struct SecondScores<'a> {
    /// The second model's labels, in output order (its manifest's `labels`).
    pub labels: &'a [String],
    /// Its probabilities, in the same order.
    pub scores: LabelScores,
}

/// What [`Condition::holds`] knows about the second model.
#[derive(Debug, Clone, Copy)]
enum Second<'a> {
    /// Not run (or not loaded): its conditions do not hold.
    Absent,
    /// Not run yet: its conditions are assumed to hold (the verdict while it is pending).
    AssumedToHold,
    /// Its scores.
    Scores(SecondScores<'a>),
}

impl Condition {
    /// A condition on the primary model's categories.
    pub fn primary(categories: &[Category], threshold: f32) -> Self {
        Self {
            model: ModelRole::Primary,
            labels: categories.iter().map(|c| c.name().to_owned()).collect(),
            threshold,
        }
    }

    /// A condition on the second model's labels.
    pub fn second(labels: &[&str], threshold: f32) -> Self {
        Self {
            model: ModelRole::Second,
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            threshold,
        }
    }

    /// The primary categories this condition names (none for a second-model condition).
    pub fn categories(&self) -> impl Iterator<Item = Category> + '_ {
        self.labels
            .iter()
            .filter(move |_| self.model == ModelRole::Primary)
            .filter_map(|l| Category::from_name(l))
    }

    fn holds(&self, scores: &Scores, second: Second<'_>) -> bool {
        let sum: f32 = match (self.model, second) {
            (ModelRole::Primary, _) => self.categories().map(|c| scores.get(c)).sum(),
            (ModelRole::Second, Second::Absent) => return false,
            (ModelRole::Second, Second::AssumedToHold) => return true,
            (ModelRole::Second, Second::Scores(second)) => self
                .labels
                .iter()
                .map(|label| {
                    second
                        .labels
                        .iter()
                        .position(|l| l.eq_ignore_ascii_case(label))
                        .map_or(0.0, |i| second.scores.get(i))
                })
                .sum(),
        };
        sum >= self.threshold
    }
}

/// One rule of a policy: when all its conditions hold, it asks for its action.
///
/// In JSON a rule with a single primary condition keeps its original short form
/// `{"categories": ["porn"], "threshold": 0.4, "action": "block"}`; the general form is
/// `{"when": [{"model": "primary", "labels": ["porn"], "threshold": 0.4},
/// {"model": "second", "labels": ["nsfw"], "threshold": 0.2}], "action": "block"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The conditions, all of which must hold; at least one reads the primary model.
    pub when: Vec<Condition>,
    /// What the rule asks for when it fires.
    pub action: Action,
}

impl Rule {
    /// A rule with one condition on the primary model: the sum of `categories` reaches
    /// `threshold`.
    pub fn primary(categories: &[Category], threshold: f32, action: Action) -> Self {
        Self {
            when: vec![Condition::primary(categories, threshold)],
            action,
        }
    }

    /// Whether this rule fires for the primary `scores` alone (conditions on the second model
    /// do not hold without its scores).
    pub fn fires(&self, scores: &Scores) -> bool {
        self.fires_with(scores, Second::Absent)
    }

    fn fires_with(&self, scores: &Scores, second: Second<'_>) -> bool {
        self.when.iter().all(|c| c.holds(scores, second))
    }

    /// Whether a condition reads the second model.
    pub fn reads_second(&self) -> bool {
        self.when.iter().any(|c| c.model == ModelRole::Second)
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
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The policy's name, if it has one.
    pub name: Option<String>,
    /// The rules, in any order (a verdict names the rule that decided it by its index).
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
    /// The index in [`Policy::rules`] of the rule that decided the verdict (the first firing
    /// rule with the verdict's action that names its category); `None` when allowed, failed
    /// closed or decided by a blocklist match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<u32>,
    /// The second-opinion model's scores, when it ran for this verdict (labels in its
    /// manifest's order).
    #[serde(skip)]
    pub second: Option<LabelScores>,
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
            rule: None,
            second: None,
        }
    }
}

impl Policy {
    /// A built-in preset's rules for one model (what `--model X` alone uses; every preset works
    /// with one model).
    pub fn preset(preset: Preset) -> Self {
        use Action::{Block, Blur, Warn};
        use Category::{Hentai, Porn, Sexy};
        let rule = Rule::primary;
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

    /// A built-in preset's rules for a primary model with a second opinion (the default
    /// configuration): every rule needs the second model (`nsfw`) to agree, so the primary's
    /// thresholds sit lower than in [`Policy::preset`] (more recall) while ordinary pictures,
    /// which the second model clears, stay untouched; except the recall guard of the presets
    /// that block (`child`, `teen`): a frame the primary alone scores at least
    /// [`RECALL_GUARD`] in porn or hentai is blocked whatever the second says. Thresholds tuned
    /// on the benign corpus (`models/corpus/`; see `docs/policies.md`).
    pub fn preset_with_second_opinion(preset: Preset) -> Self {
        use Action::{Block, Blur, Warn};
        use Category::{Hentai, Porn, Sexy};
        let guard = |category: Category| Rule::primary(&[category], RECALL_GUARD, Block);
        let both = |categories: &[Category], threshold: f32, nsfw: f32, action: Action| Rule {
            when: vec![
                Condition::primary(categories, threshold),
                Condition::second(&["nsfw"], nsfw),
            ],
            action,
        };
        let rules = match preset {
            Preset::Child => vec![
                guard(Porn),
                guard(Hentai),
                both(&[Porn], 0.30, 0.20, Block),
                both(&[Hentai], 0.30, 0.20, Block),
                both(&[Sexy], 0.30, 0.20, Blur),
                both(&[Porn, Hentai, Sexy], 0.40, 0.20, Blur),
            ],
            Preset::Teen => vec![
                guard(Porn),
                guard(Hentai),
                both(&[Porn], 0.50, 0.30, Block),
                both(&[Hentai], 0.50, 0.30, Block),
                both(&[Sexy], 0.60, 0.30, Blur),
                both(&[Porn, Hentai, Sexy], 0.40, 0.30, Warn),
            ],
            Preset::Adult => vec![both(&[Porn], 0.70, 0.50, Warn), both(&[Hentai], 0.70, 0.50, Warn)],
        };
        Self {
            name: Some(preset.name().to_owned()),
            rules,
        }
    }

    /// A preset for the models loaded: [`Policy::preset_with_second_opinion`] when a second
    /// model is loaded, else [`Policy::preset`].
    pub fn preset_for(preset: Preset, second_opinion: bool) -> Self {
        if second_opinion {
            Self::preset_with_second_opinion(preset)
        } else {
            Self::preset(preset)
        }
    }

    /// A policy from its source text: a preset name (`child`, `teen`, `adult`: its rules for
    /// the models loaded, see [`Policy::preset_for`]) or a policy as JSON (text starting with
    /// `{`). Every door and the CLI read a policy through this.
    ///
    /// ```
    /// use safeframe::policy::{Policy, Preset};
    /// assert_eq!(Policy::from_source("teen", false)?, Policy::preset(Preset::Teen));
    /// let json = r#"{"name":"mine","rules":[{"categories":["porn"],"threshold":0.9,"action":"block"}]}"#;
    /// assert_eq!(Policy::from_source(json, false)?.name.as_deref(), Some("mine"));
    /// assert!(Policy::from_source("toddler", false).is_err());
    /// # Ok::<(), safeframe::SafeFrameError>(())
    /// ```
    pub fn from_source(source: &str, second_opinion: bool) -> Result<Self> {
        if source.trim_start().starts_with('{') {
            Self::from_json(source)
        } else {
            Ok(Self::preset_for(Preset::from_name(source)?, second_opinion))
        }
    }

    /// Whether any rule reads the second model.
    pub fn reads_second(&self) -> bool {
        self.rules.iter().any(Rule::reads_second)
    }

    /// Checks the policy against the models that will feed it: a rule that names the second
    /// model when none is loaded, or a label the second model lacks, is an
    /// [`SafeFrameError::InvalidPolicy`] error naming the field, never a rule that silently
    /// cannot fire. (Primary labels are checked when the policy is parsed: they are the five
    /// categories every primary model has.)
    pub fn check_models(&self, second: Option<&ModelManifest>) -> Result<()> {
        for (i, rule) in self.rules.iter().enumerate() {
            for (j, condition) in rule.when.iter().enumerate() {
                if condition.model != ModelRole::Second {
                    continue;
                }
                let Some(manifest) = second else {
                    return Err(SafeFrameError::policy(
                        format!("rules[{i}].when[{j}].model"),
                        "names the second model, but no second model is loaded",
                    ));
                };
                for (k, label) in condition.labels.iter().enumerate() {
                    if !manifest.labels.iter().any(|l| l.eq_ignore_ascii_case(label)) {
                        return Err(SafeFrameError::policy(
                            format!("rules[{i}].when[{j}].labels[{k}]"),
                            format!(
                                "the second model `{}` has no label `{label}` (it has {})",
                                manifest.name,
                                manifest.labels.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
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

    /// The policy as pretty-printed JSON, in the form [`Policy::from_json`] reads (rules with
    /// one primary condition in the short form).
    pub fn to_json(&self) -> String {
        use serde_json::{json, Value};
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|rule| match rule.when.as_slice() {
                [only] if only.model == ModelRole::Primary => json!({
                    "categories": only.labels,
                    "threshold": threshold_json(only.threshold),
                    "action": rule.action,
                }),
                conditions => json!({
                    "when": conditions
                        .iter()
                        .map(|c| json!({"model": c.model, "labels": c.labels, "threshold": threshold_json(c.threshold)}))
                        .collect::<Vec<_>>(),
                    "action": rule.action,
                }),
            })
            .collect();
        let mut document = serde_json::Map::new();
        if let Some(name) = &self.name {
            document.insert("name".into(), Value::String(name.clone()));
        }
        document.insert("rules".into(), Value::Array(rules));
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(&Value::Object(document)).unwrap_or_default()
    }

    /// The verdict for the primary `scores` alone.
    ///
    /// The action is the most severe firing action; the category is the one with the highest
    /// score among the categories of every firing rule with that action (the first in
    /// [`Category::ALL`] order on a tie). Non-finite scores never reach here: the classifier
    /// rejects them. Rules that read the second model do not fire.
    pub fn evaluate(&self, scores: &Scores) -> Verdict {
        self.verdict(scores, Second::Absent, None)
    }

    /// The verdict for the primary `scores` and, if it ran, the second model's.
    pub fn evaluate_models(&self, scores: &Scores, second: Option<SecondScores<'_>>) -> Verdict {
        match second {
            Some(second) => self.verdict(scores, Second::Scores(second), Some(second.scores)),
            None => self.evaluate(scores),
        }
    }

    /// The verdict while the second opinion is pending: every condition on the second model
    /// is assumed to hold, so the frame stays redacted until the second model has spoken.
    pub fn evaluate_pending(&self, scores: &Scores) -> Verdict {
        self.verdict(scores, Second::AssumedToHold, None)
    }

    /// Whether the second model's answer could change the verdict for these primary scores:
    /// the cascade runs it only then. False for a policy that does not read the second model,
    /// and whenever the primary alone gives `allow` under every possible second answer.
    ///
    /// ```
    /// use safeframe::policy::{Policy, Preset};
    /// use safeframe::scores::Scores;
    /// let policy = Policy::preset_with_second_opinion(Preset::Child);
    /// assert!(!policy.needs_second_opinion(&Scores::new([0.1, 0.0, 0.9, 0.0, 0.0])));
    /// assert!(policy.needs_second_opinion(&Scores::new([0.0, 0.0, 0.5, 0.5, 0.0])));
    /// assert!(!policy.needs_second_opinion(&Scores::new([0.0, 0.0, 0.05, 0.95, 0.0]))); // recall guard
    /// ```
    pub fn needs_second_opinion(&self, scores: &Scores) -> bool {
        self.reads_second() && self.evaluate_pending(scores).action != self.evaluate(scores).action
    }

    fn verdict(&self, scores: &Scores, second: Second<'_>, second_scores: Option<LabelScores>) -> Verdict {
        let firing = || {
            self.rules
                .iter()
                .enumerate()
                .filter(|(_, r)| r.fires_with(scores, second))
        };
        let action = firing().map(|(_, r)| r.action).max().unwrap_or(Action::Allow);
        let (category, rule) = if action == Action::Allow {
            (None, None)
        } else {
            let category = firing()
                .filter(|(_, r)| r.action == action)
                .flat_map(|(_, r)| r.when.iter().flat_map(Condition::categories))
                .fold(None, |best: Option<Category>, c| match best {
                    Some(b) if scores.get(b) > scores.get(c) || (scores.get(b) == scores.get(c) && b < c) => Some(b),
                    _ => Some(c),
                });
            let rule = firing()
                .find(|(_, r)| {
                    r.action == action
                        && r.when
                            .iter()
                            .flat_map(Condition::categories)
                            .any(|c| Some(c) == category)
                })
                .map(|(i, _)| i as u32);
            (category, rule)
        };
        Verdict {
            action,
            category,
            scores: *scores,
            known: None,
            rule,
            second: second_scores,
        }
    }

    /// The verdict for `scores` when the frame may also match known content: a match always
    /// blocks, whatever the scores say (category [`Category::Known`]).
    pub fn evaluate_with_match(&self, scores: &Scores, known: Option<KnownMatch>) -> Verdict {
        match known {
            Some(found) => Verdict::known(scores, found),
            None => self.evaluate(scores),
        }
    }
}

impl Verdict {
    /// The verdict for a frame that matched known content: blocked, category
    /// [`Category::Known`], whatever the scores.
    pub fn known(scores: &Scores, found: KnownMatch) -> Self {
        Self {
            action: Action::Block,
            category: Some(Category::Known),
            scores: *scores,
            known: Some(found),
            rule: None,
            second: None,
        }
    }
}

/// A threshold as JSON at its own `f32` precision (`0.4`, not `0.4000000059604645`).
fn threshold_json(threshold: f32) -> serde_json::Value {
    threshold
        .to_string()
        .parse::<f64>()
        .map_or(serde_json::Value::Null, serde_json::Value::from)
}

/// The primary score from which the `child` and `teen` presets block porn or hentai whatever
/// the second opinion says (the recall guard).
pub const RECALL_GUARD: f32 = 0.90;

fn parse_rule(index: usize, value: &serde_json::Value) -> Result<Rule> {
    let object = value
        .as_object()
        .ok_or_else(|| SafeFrameError::policy(format!("rules[{index}]"), "must be an object"))?;
    let field = |name: &str| format!("rules[{index}].{name}");
    let short = object.contains_key("categories") || object.contains_key("threshold");
    let allowed: &[&str] = if short {
        &["categories", "threshold", "action"]
    } else {
        &["when", "action"]
    };
    if let Some(key) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(SafeFrameError::policy(
            field(key),
            if short {
                "unknown field; expected categories, threshold, action (or when, action)"
            } else {
                "unknown field; expected when, action (or categories, threshold, action)"
            },
        ));
    }
    let when = if short {
        vec![parse_condition(
            &format!("rules[{index}]"),
            object,
            ModelRole::Primary,
            "categories",
        )?]
    } else {
        let list = object
            .get("when")
            .and_then(|w| w.as_array())
            .ok_or_else(|| SafeFrameError::policy(field("when"), "must be a list of conditions"))?;
        let when = list
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let at = format!("rules[{index}].when[{j}]");
                let condition = c
                    .as_object()
                    .ok_or_else(|| SafeFrameError::policy(at.clone(), "must be an object"))?;
                if let Some(key) = condition
                    .keys()
                    .find(|k| !["model", "labels", "threshold"].contains(&k.as_str()))
                {
                    return Err(SafeFrameError::policy(
                        format!("{at}.{key}"),
                        "unknown field; expected model, labels, threshold",
                    ));
                }
                let model = match condition.get("model").map(|m| m.as_str()) {
                    None | Some(Some("primary")) => ModelRole::Primary,
                    Some(Some("second")) => ModelRole::Second,
                    _ => {
                        return Err(SafeFrameError::policy(
                            format!("{at}.model"),
                            "must be `primary` or `second`",
                        ))
                    }
                };
                parse_condition(&at, condition, model, "labels")
            })
            .collect::<Result<Vec<_>>>()?;
        if !when.iter().any(|c| c.model == ModelRole::Primary) {
            return Err(SafeFrameError::policy(
                field("when"),
                "needs at least one condition on the primary model (the second model runs only when the primary's conditions hold)",
            ));
        }
        when
    };
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
    Ok(Rule { when, action })
}

/// One condition from `object` at JSON path `at`: its `labels_key` list and its threshold.
fn parse_condition(
    at: &str,
    object: &serde_json::Map<String, serde_json::Value>,
    model: ModelRole,
    labels_key: &str,
) -> Result<Condition> {
    let labels_json = object
        .get(labels_key)
        .and_then(|c| c.as_array())
        .ok_or_else(|| SafeFrameError::policy(format!("{at}.{labels_key}"), "must be a list of label names"))?;
    if labels_json.is_empty() {
        return Err(SafeFrameError::policy(
            format!("{at}.{labels_key}"),
            "must name at least one label",
        ));
    }
    let mut labels: Vec<String> = Vec::with_capacity(labels_json.len());
    for (k, value) in labels_json.iter().enumerate() {
        let here = format!("{at}.{labels_key}[{k}]");
        let name = value
            .as_str()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| SafeFrameError::policy(here.clone(), "must be a label name"))?
            .to_ascii_lowercase();
        if model == ModelRole::Primary && Category::from_name(&name).is_none() {
            return Err(SafeFrameError::policy(
                here,
                format!("unknown category {value}; expected one of drawing, hentai, neutral, porn, sexy"),
            ));
        }
        if labels.contains(&name) {
            return Err(SafeFrameError::policy(here, "label listed twice"));
        }
        labels.push(name);
    }
    let threshold = object
        .get("threshold")
        .and_then(|t| t.as_f64())
        .ok_or_else(|| SafeFrameError::policy(format!("{at}.threshold"), "must be a number"))?;
    if !(0.0..=1.0).contains(&threshold) {
        return Err(SafeFrameError::policy(
            format!("{at}.threshold"),
            format!("{threshold} is outside 0..=1"),
        ));
    }
    Ok(Condition {
        model,
        labels,
        threshold: threshold as f32,
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
    fn thresholds_print_at_their_own_precision() {
        let json = Policy::preset(Preset::Child).to_json();
        assert!(
            json.contains("\"threshold\": 0.4") && !json.contains("0.4000"),
            "{json}"
        );
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

    fn open_nsfw_manifest() -> ModelManifest {
        let json = r#"{"name":"second","version":"1.0.0","description":"d","model_file":"model.onnx",
          "sha256":"0000000000000000000000000000000000000000000000000000000000000000","precision":"fp32",
          "labels":["sfw","nsfw"],
          "input":{"name":"input","layout":"NHWC","width":224,"height":224,"color":"BGR",
            "pixel_divisor":1.0,"mean":[104,117,123],"std":[1,1,1],"resize":"pil-bilinear-256-center-crop"},
          "output":{"name":"output","activation":"softmax"},"source":"s","license":"BSD-2-Clause"}"#;
        ModelManifest::from_json(json.as_bytes()).unwrap()
    }

    fn second<'a>(labels: &'a [String], nsfw: f32) -> Option<SecondScores<'a>> {
        Some(SecondScores {
            labels,
            scores: LabelScores::new(&[1.0 - nsfw, nsfw]).unwrap(),
        })
    }

    #[test]
    fn a_rule_fires_only_when_all_its_conditions_hold() {
        let policy = Policy::preset_with_second_opinion(Preset::Child);
        let labels = open_nsfw_manifest().labels;
        let porn = scores(0.0, 0.0, 0.5, 0.5, 0.0);
        let v = policy.evaluate_models(&porn, second(&labels, 0.05));
        assert_eq!((v.action, v.category, v.rule), (Action::Allow, None, None));
        let v = policy.evaluate_models(&porn, second(&labels, 0.9));
        assert_eq!((v.action, v.category), (Action::Block, Some(Category::Porn)));
        assert_eq!(v.rule, Some(2));
        assert_eq!(v.second.unwrap().get(1), 0.9);
        // Without the second model's scores its conditions do not hold; pending, they do.
        assert_eq!(policy.evaluate(&porn).action, Action::Allow);
        assert_eq!(policy.evaluate_pending(&porn).action, Action::Block);
        assert!(policy.needs_second_opinion(&porn));
    }

    #[test]
    fn the_recall_guard_blocks_whatever_the_second_opinion_says() {
        for preset in [Preset::Child, Preset::Teen] {
            let policy = Policy::preset_with_second_opinion(preset);
            let labels = open_nsfw_manifest().labels;
            for (p, h) in [(RECALL_GUARD, 0.0), (0.0, RECALL_GUARD)] {
                let explicit = scores(0.0, h, 1.0 - p - h, p, 0.0);
                let v = policy.evaluate_models(&explicit, second(&labels, 0.0));
                assert_eq!(v.action, Action::Block, "{preset:?}");
                assert!(!policy.needs_second_opinion(&explicit), "{preset:?}");
            }
        }
        // adult warns, as before, and only with the second model's agreement.
        let adult = Policy::preset_with_second_opinion(Preset::Adult);
        assert_eq!(
            adult.evaluate_pending(&scores(0.0, 0.0, 0.05, 0.95, 0.0)).action,
            Action::Warn
        );
    }

    #[test]
    fn the_cascade_skips_the_second_model_when_the_primary_allows() {
        for preset in Preset::ALL {
            let policy = Policy::preset_with_second_opinion(preset);
            assert!(!policy.needs_second_opinion(&scores(0.2, 0.0, 0.8, 0.0, 0.0)));
            let labels = open_nsfw_manifest().labels;
            for i in 0..=20 {
                let p = i as f32 / 20.0;
                for s in [
                    scores(0.0, 0.0, 1.0 - p, p, 0.0),
                    scores(0.0, p, 1.0 - p, 0.0, 0.0),
                    scores(0.0, 0.0, 1.0 - p, 0.0, p),
                ] {
                    let pending = policy.evaluate_pending(&s).action;
                    // The second model runs exactly when the primary alone leaves the verdict
                    // open, and a clean second opinion allows everything below the guard.
                    assert_eq!(policy.needs_second_opinion(&s), pending != policy.evaluate(&s).action);
                    if s.porn.max(s.hentai) < RECALL_GUARD {
                        assert_eq!(policy.evaluate_models(&s, second(&labels, 0.0)).action, Action::Allow);
                    }
                    if pending == Action::Allow {
                        assert!(!policy.needs_second_opinion(&s), "{preset:?} {s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn policies_naming_models_or_labels_that_are_not_loaded_are_refused() {
        let policy = Policy::preset_with_second_opinion(Preset::Child);
        let err = policy.check_models(None).unwrap_err();
        assert!(err.to_string().contains("rules[2].when[1].model"), "{err}");
        policy.check_models(Some(&open_nsfw_manifest())).unwrap();
        let json = r#"{"rules":[{"when":[{"labels":["porn"],"threshold":0.5},
            {"model":"second","labels":["explicit"],"threshold":0.5}],"action":"block"}]}"#;
        let err = Policy::from_json(json)
            .unwrap()
            .check_models(Some(&open_nsfw_manifest()))
            .unwrap_err();
        assert!(err.to_string().contains("rules[0].when[1].labels[0]"), "{err}");
        Policy::preset(Preset::Child).check_models(None).unwrap();
    }

    #[test]
    fn two_model_rules_round_trip_and_bad_ones_name_the_field() {
        for preset in Preset::ALL {
            let policy = Policy::preset_with_second_opinion(preset);
            assert_eq!(Policy::from_json(&policy.to_json()).unwrap(), policy);
        }
        let cases = [
            (
                r#"{"rules":[{"when":[{"model":"second","labels":["nsfw"],"threshold":0.5}],"action":"block"}]}"#,
                "rules[0].when",
            ),
            (
                r#"{"rules":[{"when":[{"model":"third","labels":["porn"],"threshold":0.5}],"action":"block"}]}"#,
                "rules[0].when[0].model",
            ),
            (
                r#"{"rules":[{"when":[{"labels":["porn"],"threshold":-0.1}],"action":"block"}]}"#,
                "rules[0].when[0].threshold",
            ),
            (
                r#"{"rules":[{"when":[{"labels":["pron"],"threshold":0.1}],"action":"block"}]}"#,
                "rules[0].when[0].labels[0]",
            ),
            (r#"{"rules":[{"when":{},"action":"block"}]}"#, "rules[0].when"),
        ];
        for (json, want) in cases {
            match Policy::from_json(json) {
                Err(SafeFrameError::InvalidPolicy { field, .. }) => assert_eq!(field, want, "{json}"),
                other => panic!("{json}: {other:?}"),
            }
        }
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
