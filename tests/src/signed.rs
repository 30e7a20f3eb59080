//! Model packs that must be refused, one per way a pack can fail its trust check, made on disk
//! from the oracle pack for the tests of every door (core, CLI, uniffi, C). Each comes with the
//! trust settings, as text, that its door passes on, and the refusal expected.

use std::path::{Path, PathBuf};

use safeframe::signing::TrustPolicy;

/// Why a pack is refused: one typed error per case on every door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `signature.json`.
    Unsigned,
    /// The manifest or the signature changed after signing.
    Tampered,
    /// Signed by a key nobody trusts.
    Untrusted,
    /// Signed by a revoked key.
    Revoked,
    /// Version below the minimum.
    RolledBack,
}

impl Refusal {
    /// The core error's variant name (also the bindings' `ErrorKind` name).
    pub fn kind_name(self) -> &'static str {
        match self {
            Self::Unsigned => "ModelUnsigned",
            Self::Tampered => "ModelTampered",
            Self::Untrusted => "ModelUntrusted",
            Self::Revoked => "ModelKeyRevoked",
            Self::RolledBack => "ModelRolledBack",
        }
    }

    /// Whether the core's `error` is this refusal.
    pub fn matches(self, error: &safeframe::SafeFrameError) -> bool {
        use safeframe::SafeFrameError as E;
        matches!(
            (self, error),
            (Self::Unsigned, E::ModelUnsigned { .. })
                | (Self::Tampered, E::ModelTampered { .. })
                | (Self::Untrusted, E::ModelUntrusted { .. })
                | (Self::Revoked, E::ModelKeyRevoked { .. })
                | (Self::RolledBack, E::ModelRolledBack { .. })
        )
    }
}

/// A pack on disk that its trust settings refuse.
#[derive(Debug, Clone)]
pub struct BadPack {
    /// What was done to it.
    pub name: &'static str,
    /// The pack directory.
    pub dir: PathBuf,
    /// Key ids the door revokes for this case.
    pub revoked_keys: Vec<String>,
    /// The minimum version the door sets for this case.
    pub min_version: Option<String>,
    /// The refusal expected.
    pub refusal: Refusal,
}

impl BadPack {
    /// The core's trust policy for this case's settings.
    pub fn trust(&self) -> TrustPolicy {
        TrustPolicy::from_text(
            &[] as &[&str],
            false,
            &self.revoked_keys,
            self.min_version.as_deref(),
            false,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }
}

/// The bad packs and an untouched copy of the oracle pack, in a temporary directory removed on
/// drop.
pub struct BadPacks {
    root: PathBuf,
    /// An untouched copy of the oracle pack (it loads).
    pub good: PathBuf,
    /// One pack per refusal: reversed labels and an altered signature (tampered), no signature
    /// (unsigned), a throwaway key's signature (untrusted), the shipped key revoked, a minimum
    /// version above the pack's (rolled back).
    pub packs: Vec<BadPack>,
}

impl Drop for BadPacks {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Makes the bad packs under a directory named for `tag` and this process.
pub fn bad_packs(tag: &str) -> BadPacks {
    let root = std::env::temp_dir().join(format!("safeframe-signed-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let source = crate::fixture("oracle/oracle");
    let copy = |name: &str| {
        let dir = root.join(name);
        crate::copy_pack(&source, &dir);
        dir
    };
    let shipped_id = TrustPolicy::shipped_keys()[0].id().to_string();
    let pack = |name, dir, refusal| BadPack {
        name,
        dir,
        revoked_keys: Vec::new(),
        min_version: None,
        refusal,
    };

    // The attack of issue #18: the labels reversed, so porn scores read as another class.
    let reversed = copy("reversed-labels");
    edit_manifest(&reversed, |manifest| {
        if let Some(labels) = manifest["labels"].as_array_mut() {
            labels.reverse();
        }
    });
    let altered = copy("altered-signature");
    let path = altered.join("signature.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find("\"signature\"").unwrap() + "\"signature\": \"".len() + 5;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&path, bytes).unwrap();
    let unsigned = copy("unsigned");
    std::fs::remove_file(unsigned.join("signature.json")).unwrap();
    let untrusted = copy("untrusted");
    crate::sign_pack(&untrusted, &crate::throwaway_signer(99));

    let packs = vec![
        pack("reversed-labels", reversed, Refusal::Tampered),
        pack("altered-signature", altered, Refusal::Tampered),
        pack("unsigned", unsigned, Refusal::Unsigned),
        pack("untrusted", untrusted, Refusal::Untrusted),
        BadPack {
            revoked_keys: vec![shipped_id],
            ..pack("revoked", copy("revoked"), Refusal::Revoked)
        },
        BadPack {
            min_version: Some("1.0.1".to_owned()),
            ..pack("rolled-back", copy("rolled-back"), Refusal::RolledBack)
        },
    ];
    BadPacks {
        good: copy("untouched"),
        root,
        packs,
    }
}

/// Rewrites a pack's manifest through `edit` (its signature is left as it was).
pub fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut manifest);
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}
