//! Scores: the classifier's probability for each category.

use serde::{Deserialize, Serialize};

/// A content category the classifier scores.
///
/// The order is the nsfwjs output order, and the order used to break ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Drawings and illustrations that are safe.
    Drawing = 0,
    /// Drawn or animated pornography.
    Hentai = 1,
    /// Ordinary safe images.
    Neutral = 2,
    /// Pornographic photos.
    Porn = 3,
    /// Sexually suggestive but not explicit photos.
    Sexy = 4,
    /// Known content: the frame's PDQ hash matched a blocklist entry. Not a classifier output,
    /// so it is not in [`Category::ALL`] and always scores 0.
    Known = 5,
}

impl Category {
    /// Every category, in output order.
    pub const ALL: [Category; 5] = [Self::Drawing, Self::Hentai, Self::Neutral, Self::Porn, Self::Sexy];

    /// The lowercase name used in JSON and policies (`"porn"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Drawing => "drawing",
            Self::Hentai => "hentai",
            Self::Neutral => "neutral",
            Self::Porn => "porn",
            Self::Sexy => "sexy",
            Self::Known => "known",
        }
    }

    /// The label as the model source names it (`"Porn"`).
    pub const fn label(self) -> &'static str {
        match self {
            Self::Drawing => "Drawing",
            Self::Hentai => "Hentai",
            Self::Neutral => "Neutral",
            Self::Porn => "Porn",
            Self::Sexy => "Sexy",
            Self::Known => "Known",
        }
    }

    /// Looks a category up by its lowercase name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Looks a category up by a model label, ignoring case.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.label().eq_ignore_ascii_case(label))
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One probability per category, summing to 1.
///
/// ```
/// use safeframe::scores::{Category, Scores};
/// let scores = Scores::new([0.1, 0.0, 0.7, 0.2, 0.0]);
/// assert_eq!(scores.get(Category::Porn), 0.2);
/// assert_eq!(scores.top(), Category::Neutral);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Scores {
    /// Drawing.
    pub drawing: f32,
    /// Hentai.
    pub hentai: f32,
    /// Neutral.
    pub neutral: f32,
    /// Porn.
    pub porn: f32,
    /// Sexy.
    pub sexy: f32,
}

impl Scores {
    /// Scores from values in [`Category::ALL`] order.
    pub const fn new(values: [f32; 5]) -> Self {
        Self {
            drawing: values[0],
            hentai: values[1],
            neutral: values[2],
            porn: values[3],
            sexy: values[4],
        }
    }

    /// The values in [`Category::ALL`] order.
    pub const fn to_array(&self) -> [f32; 5] {
        [self.drawing, self.hentai, self.neutral, self.porn, self.sexy]
    }

    /// The score of one category.
    pub const fn get(&self, category: Category) -> f32 {
        match category {
            Category::Drawing => self.drawing,
            Category::Hentai => self.hentai,
            Category::Neutral => self.neutral,
            Category::Porn => self.porn,
            Category::Sexy => self.sexy,
            Category::Known => 0.0,
        }
    }

    /// The category with the highest score (the first one on a tie).
    pub fn top(&self) -> Category {
        let values = self.to_array();
        let mut best = Category::Drawing;
        for category in Category::ALL {
            if values[category as usize] > values[best as usize] {
                best = category;
            }
        }
        best
    }
}

/// One model's output as probabilities per label, in the model's label order (any model,
/// e.g. a second opinion with labels `sfw`, `nsfw`). Plain data: copying it allocates nothing.
///
/// ```
/// use safeframe::scores::LabelScores;
/// let scores = LabelScores::new(&[0.25, 0.75]).unwrap();
/// assert_eq!(scores.values(), &[0.25, 0.75]);
/// assert!(LabelScores::new(&[0.0; 17]).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LabelScores {
    values: [f32; crate::manifest::MAX_LABELS],
    len: u8,
}

impl LabelScores {
    /// Scores from values in label order; `None` for more than [`MAX_LABELS`](crate::manifest::MAX_LABELS).
    pub fn new(values: &[f32]) -> Option<Self> {
        let mut scores = Self::default();
        scores.values.get_mut(..values.len())?.copy_from_slice(values);
        scores.len = values.len() as u8;
        Some(scores)
    }

    /// The values, in label order.
    pub fn values(&self) -> &[f32] {
        &self.values[..usize::from(self.len)]
    }

    /// The value at output position `index` (0 past the end).
    pub fn get(&self, index: usize) -> f32 {
        self.values().get(index).copied().unwrap_or(0.0)
    }
}
