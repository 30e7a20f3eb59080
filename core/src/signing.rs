//! Signed model packs: who may ship a model, checked every time a pack loads.
//!
//! A pack directory holds `manifest.json`, the ONNX file it names, and `signature.json`
//! ([`SIGNATURE_FILE`]): an ed25519 signature over the manifest's exact bytes and the model's
//! sha256 (see [`signed_message`]). The manifest pins the ONNX file's sha256, so the signature
//! covers the whole pack; copying the folder keeps it. A [`TrustPolicy`] says whose signatures
//! count: by default the keys SafeFrame ships ([`SHIPPED_KEYS`]); an app may add its own keys
//! or trust only its own, revoke keys by id, refuse packs older than a minimum version
//! (rollback), and, for model development only, allow unsigned packs.
//!
//! Each refusal is its own error: [`SafeFrameError::ModelUnsigned`],
//! [`SafeFrameError::ModelTampered`], [`SafeFrameError::ModelUntrusted`],
//! [`SafeFrameError::ModelKeyRevoked`], [`SafeFrameError::ModelRolledBack`].
//!
//! ```
//! use safeframe::signing::{PackSigner, TrustPolicy};
//! let signer = PackSigner::from_seed([7; 32]); // a throwaway key; real keys come from `safeframe models keygen`
//! let manifest = br#"{"name":"m"}"#;
//! let model_sha256 = "ab".repeat(32);
//! let signature = signer.sign(manifest, &model_sha256)?.to_json();
//! let trust = TrustPolicy::only([signer.public_key()]);
//! let key = trust.check_signature("m", manifest, &model_sha256, Some(signature.as_bytes()))?;
//! assert_eq!(key, Some(signer.public_key().id()));
//! // Any change to the manifest breaks the signature.
//! let err = trust.check_signature("m", br#"{"name":"n"}"#, &model_sha256, Some(signature.as_bytes()));
//! assert!(matches!(err, Err(safeframe::SafeFrameError::ModelTampered { .. })));
//! # Ok::<(), safeframe::SafeFrameError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, SafeFrameError};
use crate::manifest::ModelManifest;

/// The signature's file name inside a pack directory.
pub const SIGNATURE_FILE: &str = "signature.json";

/// The largest signature file SafeFrame reads (64 KiB; a real one is about 200 bytes).
pub const MAX_SIGNATURE_BYTES: usize = 64 << 10;

/// The value of `format` in a signature file.
pub const SIGNATURE_FORMAT: &str = "safeframe-pack-signature-v1";

/// The first bytes of every signed message: a signature made for something else never
/// verifies as a pack signature.
pub const SIGNATURE_DOMAIN: &[u8] = b"SafeFrame model pack signature v1\n";

/// The public keys SafeFrame trusts by default, by name, as the text of their `.pub` files
/// (`core/keys/`). Rotation adds a key here beside the old ones; see `docs/models.md`.
pub const SHIPPED_KEYS: &[(&str, &str)] = &[("safeframe-2026-12", include_str!("../keys/safeframe-2026-12.pub"))];

/// The message an ed25519 pack signature signs: [`SIGNATURE_DOMAIN`], then the sha256 of the
/// manifest's exact bytes (32 bytes), then the model's sha256 (32 bytes, from the manifest's
/// `sha256` hex). `model_sha256` must be 64 hex digits.
pub fn signed_message(manifest_json: &[u8], model_sha256: &str) -> Result<Vec<u8>> {
    let model = decode_hex::<32>(model_sha256)
        .ok_or_else(|| SafeFrameError::manifest("sha256", "must be 64 lowercase hex digits"))?;
    let mut message = Vec::with_capacity(SIGNATURE_DOMAIN.len() + 64);
    message.extend_from_slice(SIGNATURE_DOMAIN);
    message.extend_from_slice(&Sha256::digest(manifest_json));
    message.extend_from_slice(&model);
    Ok(message)
}

/// A key's short id: the first 8 bytes of the sha256 of its 32 public-key bytes, shown as 16
/// hex digits. Signature files name their key by it; apps revoke keys by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 8]);

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl KeyId {
    /// Reads 16 hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        decode_hex::<8>(text.trim()).map(Self)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_hex(&self.0))
    }
}

/// An ed25519 public key that may sign model packs.
///
/// Its text form is `ed25519:` followed by 64 hex digits (the prefix is optional when reading);
/// a `.pub` file holds that line, with `#` comment lines allowed around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads a key: `ed25519:<64 hex>`, the bare hex, or a whole `.pub` file.
    pub fn parse(text: &str) -> Option<Self> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))?;
        let hex = line.strip_prefix("ed25519:").unwrap_or(line);
        let bytes = decode_hex::<32>(hex)?;
        VerifyingKey::from_bytes(&bytes).ok().map(Self)
    }

    /// The key's id.
    pub fn id(&self) -> KeyId {
        let digest = Sha256::digest(self.0.as_bytes());
        let mut id = [0; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }

    /// The name of this key among [`SHIPPED_KEYS`], if it is one of them.
    pub fn shipped_name(&self) -> Option<&'static str> {
        SHIPPED_KEYS
            .iter()
            .find(|(_, text)| PublicKey::parse(text) == Some(*self))
            .map(|(name, _)| *name)
    }

    fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        self.0.verify_strict(message, signature).is_ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ed25519:{}", encode_hex(self.0.as_bytes()))
    }
}

/// A pack's signature as stored in [`SIGNATURE_FILE`]:
///
/// ```json
/// {"format": "safeframe-pack-signature-v1", "key_id": "<16 hex>", "signature": "<128 hex>"}
/// ```
///
/// `key_id` names the key that signed ([`KeyId`]); `signature` is the 64-byte ed25519
/// signature of [`signed_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackSignature {
    /// The id of the key that made it.
    pub key_id: KeyId,
    signature: [u8; 64],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    format: String,
    key_id: String,
    signature: String,
}

impl PackSignature {
    /// Reads a signature file's bytes; `None` when they are not one.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > MAX_SIGNATURE_BYTES {
            return None;
        }
        let file: SignatureFile = serde_json::from_slice(bytes).ok()?;
        if file.format != SIGNATURE_FORMAT {
            return None;
        }
        Some(Self {
            key_id: KeyId::parse(&file.key_id)?,
            signature: decode_hex::<64>(&file.signature)?,
        })
    }

    /// The signature file's text (pretty JSON, with a final newline).
    pub fn to_json(&self) -> String {
        let file = SignatureFile {
            format: SIGNATURE_FORMAT.to_owned(),
            key_id: self.key_id.to_string(),
            signature: encode_hex(&self.signature),
        };
        serde_json::to_string_pretty(&file).map_or_else(|_| String::new(), |text| text + "\n")
    }
}

/// A secret signing key: what `safeframe models sign` signs with. It never enters the
/// repository; see `docs/models.md` for how maintainers hold it.
///
/// Its file holds the 32-byte ed25519 seed as `ed25519-secret:<64 hex>`, with `#` comment lines.
pub struct PackSigner(SigningKey);

impl fmt::Debug for PackSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        f.debug_tuple("PackSigner").field(&self.public_key().id()).finish()
    }
}

impl PackSigner {
    /// The key with this 32-byte seed. Real keys take their seed from the operating system's
    /// random source (`safeframe models keygen`); tests use fixed seeds for throwaway keys.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&seed))
    }

    /// Reads a secret key file's text.
    pub fn parse(text: &str) -> Option<Self> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))?;
        let seed = decode_hex::<32>(line.strip_prefix("ed25519-secret:")?)?;
        Some(Self::from_seed(seed))
    }

    /// The secret key file's text. Write it where only its holder can read it.
    pub fn to_secret_text(&self) -> String {
        format!(
            "# SafeFrame model-pack signing key (ed25519 secret). Never commit it, never share it.\n# public key {} (id {})\ned25519-secret:{}\n",
            self.public_key(),
            self.public_key().id(),
            encode_hex(self.0.as_bytes())
        )
    }

    /// The public half, to ship in apps (`core/keys/*.pub`) or pin in an app's options.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs a pack: its manifest's exact bytes and its model's sha256 (64 hex digits).
    pub fn sign(&self, manifest_json: &[u8], model_sha256: &str) -> Result<PackSignature> {
        let message = signed_message(manifest_json, model_sha256)?;
        Ok(PackSignature {
            key_id: self.public_key().id(),
            signature: self.0.sign(&message).to_bytes(),
        })
    }
}

/// A pack's version (`manifest.json`'s `version`), ordered for the rollback check.
///
/// The form is semantic versioning's: `MAJOR.MINOR.PATCH`, optionally `-PRERELEASE` and
/// `+BUILD`. Order: the three numbers compared as numbers; for equal numbers a pre-release is
/// below the release (`1.2.0-rc.1 < 1.2.0`), and two pre-releases compare identifier by
/// identifier (numbers as numbers and below words, words by ASCII, a shorter list of equal
/// identifiers first); build metadata is ignored (`1.2.0+a` equals `1.2.0+b`).
///
/// ```
/// use safeframe::signing::PackVersion;
/// let v = |s| PackVersion::parse(s).unwrap();
/// assert!(v("1.10.0") > v("1.9.9"));
/// assert!(v("2.0.0-rc.1") < v("2.0.0"));
/// assert!(v("2.0.0-rc.2") < v("2.0.0-rc.10"));
/// assert_eq!(v("1.0.0+x"), v("1.0.0"));
/// assert!(PackVersion::parse("1.0").is_none());
/// ```
#[derive(Debug, Clone, Eq)]
pub struct PackVersion {
    numbers: [u64; 3],
    pre: Vec<String>,
    text: String,
}

impl PackVersion {
    /// Reads a version; `None` unless it has the form above.
    pub fn parse(text: &str) -> Option<Self> {
        let without_build = text.split_once('+').map_or(text, |(v, build)| {
            // Build metadata must still be non-empty dot-separated identifiers.
            if valid_identifiers(build) {
                v
            } else {
                ""
            }
        });
        let (core, pre) = match without_build.split_once('-') {
            Some((core, pre)) if valid_identifiers(pre) => (core, pre.split('.').map(str::to_owned).collect()),
            Some(_) => return None,
            None => (without_build, Vec::new()),
        };
        let mut numbers = [0u64; 3];
        let mut parts = core.split('.');
        for slot in &mut numbers {
            let part = parts.next()?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *slot = part.parse().ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            numbers,
            pre,
            text: text.to_owned(),
        })
    }
}

fn valid_identifiers(text: &str) -> bool {
    text.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl fmt::Display for PackVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for PackVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl PartialOrd for PackVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PackVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let order = match (a.parse::<u64>(), b.parse::<u64>()) {
                            (Ok(x), Ok(y)) => x.cmp(&y),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => a.cmp(b),
                        };
                        if order != Ordering::Equal {
                            return order;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

/// Whose model packs load: the check every pack passes before its model is handed to the
/// inference engine (part of [`crate::classifier::ClassifierOptions`]).
///
/// The default trusts the keys SafeFrame ships ([`SHIPPED_KEYS`]), revokes none, has no
/// minimum version and refuses unsigned packs.
///
/// ```
/// use safeframe::signing::{PackSigner, PackVersion, TrustPolicy};
/// let app_key = PackSigner::from_seed([1; 32]).public_key();
/// // The shipped keys and the app's own, packs from version 2.0.0 on.
/// let trust = TrustPolicy::default()
///     .trusting(app_key)
///     .with_min_version(PackVersion::parse("2.0.0").unwrap());
/// assert_eq!(trust.trusted_keys.len(), TrustPolicy::shipped_keys().len() + 1);
/// // Only the app's key.
/// assert_eq!(TrustPolicy::only([app_key]).trusted_keys, [app_key]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPolicy {
    /// Keys whose signatures are accepted (several at once during a key rotation).
    pub trusted_keys: Vec<PublicKey>,
    /// Keys whose signatures are refused even when trusted (a key known to be lost or leaked).
    pub revoked_keys: Vec<KeyId>,
    /// Packs whose manifest version is below this are refused (a rollback to an older pack).
    pub min_version: Option<PackVersion>,
    /// Load packs that have no signature file at all (with a logged warning): for model
    /// development only. A pack whose signature is present but does not verify is refused
    /// even then.
    pub allow_unsigned: bool,
}

impl Default for TrustPolicy {
    fn default() -> Self {
        Self {
            trusted_keys: Self::shipped_keys(),
            revoked_keys: Vec::new(),
            min_version: None,
            allow_unsigned: false,
        }
    }
}

impl TrustPolicy {
    /// The keys SafeFrame ships ([`SHIPPED_KEYS`]), parsed.
    pub fn shipped_keys() -> Vec<PublicKey> {
        SHIPPED_KEYS
            .iter()
            .filter_map(|(name, text)| {
                let key = PublicKey::parse(text);
                if key.is_none() {
                    log::error!("shipped key {name} is not an ed25519 public key; it is not trusted");
                }
                key
            })
            .collect()
    }

    /// Trusts only `keys` (the shipped keys are not trusted).
    pub fn only(keys: impl IntoIterator<Item = PublicKey>) -> Self {
        Self {
            trusted_keys: keys.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Also trusts `key`.
    pub fn trusting(mut self, key: PublicKey) -> Self {
        if !self.trusted_keys.contains(&key) {
            self.trusted_keys.push(key);
        }
        self
    }

    /// Refuses packs signed by the key with id `key`.
    pub fn revoking(mut self, key: KeyId) -> Self {
        if !self.revoked_keys.contains(&key) {
            self.revoked_keys.push(key);
        }
        self
    }

    /// Refuses packs below `version`.
    pub fn with_min_version(mut self, version: PackVersion) -> Self {
        self.min_version = Some(version);
        self
    }

    /// Loads unsigned packs too (model development only).
    pub fn allowing_unsigned(mut self) -> Self {
        self.allow_unsigned = true;
        self
    }

    /// The policy the doors describe with text: `trusted_keys` (public keys as
    /// [`PublicKey::parse`] reads them) added to the shipped keys, or instead of them with
    /// `replace_shipped_keys`; `revoked_keys` as key ids or public keys; `min_version` a
    /// [`PackVersion`]. A value that cannot be read is an [`SafeFrameError::InvalidConfig`]
    /// naming it.
    ///
    /// ```
    /// use safeframe::signing::TrustPolicy;
    /// let trust = TrustPolicy::from_text(&[] as &[&str], false, &["0123456789abcdef"], Some("1.2.0"), false)?;
    /// assert_eq!(trust.revoked_keys.len(), 1);
    /// assert!(TrustPolicy::from_text(&["not a key"], false, &[] as &[&str], None, false).is_err());
    /// # Ok::<(), safeframe::SafeFrameError>(())
    /// ```
    pub fn from_text<K: AsRef<str>, R: AsRef<str>>(
        trusted_keys: &[K],
        replace_shipped_keys: bool,
        revoked_keys: &[R],
        min_version: Option<&str>,
        allow_unsigned: bool,
    ) -> Result<Self> {
        let bad = |field: String, reason: &str| SafeFrameError::InvalidConfig {
            field,
            reason: reason.to_owned(),
        };
        let mut trust = if replace_shipped_keys {
            Self::only([])
        } else {
            Self::default()
        };
        for (i, text) in trusted_keys.iter().enumerate() {
            let key = PublicKey::parse(text.as_ref()).ok_or_else(|| {
                bad(
                    format!("trusted_keys[{i}]"),
                    "not an ed25519 public key: expected `ed25519:` and 64 hex digits (a `.pub` file's line)",
                )
            })?;
            trust = trust.trusting(key);
        }
        for (i, text) in revoked_keys.iter().enumerate() {
            let text = text.as_ref();
            let id = KeyId::parse(text)
                .or_else(|| PublicKey::parse(text).map(|k| k.id()))
                .ok_or_else(|| {
                    bad(
                        format!("revoked_keys[{i}]"),
                        "neither a key id (16 hex digits) nor an ed25519 public key",
                    )
                })?;
            trust = trust.revoking(id);
        }
        if let Some(text) = min_version {
            let version = PackVersion::parse(text)
                .ok_or_else(|| bad("min_version".to_owned(), "not a semantic version like 1.2.3"))?;
            trust = trust.with_min_version(version);
        }
        trust.allow_unsigned = allow_unsigned;
        if trust.trusted_keys.is_empty() && !trust.allow_unsigned {
            return Err(bad(
                "trusted_keys".to_owned(),
                "no key is trusted, so no pack could load: give a key or keep the shipped ones",
            ));
        }
        Ok(trust)
    }

    /// Checks a pack against this policy: its signature ([`TrustPolicy::check_signature`]),
    /// then its version ([`TrustPolicy::check_version`]). `manifest_json` is the manifest's
    /// exact bytes, `manifest` what they parse to, `signature` the signature file's bytes.
    pub fn check_pack(
        &self,
        manifest_json: &[u8],
        manifest: &ModelManifest,
        signature: Option<&[u8]>,
    ) -> Result<Option<KeyId>> {
        let key = self.check_signature(&manifest.name, manifest_json, &manifest.sha256, signature)?;
        self.check_version(&manifest.name, &manifest.version)?;
        Ok(key)
    }

    /// Checks a pack against this policy: `signature` is its signature file's bytes (`None`:
    /// there is none), `manifest_json` the manifest's exact bytes, `model_sha256` the
    /// manifest's `sha256`, `model` its name (for messages). Returns the id of the key that
    /// signed it, or `None` for an unsigned pack allowed by [`TrustPolicy::allow_unsigned`].
    ///
    /// The order: unsigned, unreadable signature (tampered), revoked key, untrusted key,
    /// signature that does not verify (tampered); then the rollback check on the version,
    /// which only a verified (or allowed unsigned) manifest gets to.
    pub fn check_signature(
        &self,
        model: &str,
        manifest_json: &[u8],
        model_sha256: &str,
        signature: Option<&[u8]>,
    ) -> Result<Option<KeyId>> {
        let Some(signature) = signature else {
            if self.allow_unsigned {
                log::warn!("model pack {model} is unsigned; loaded because unsigned packs are allowed");
                return Ok(None);
            }
            return Err(SafeFrameError::ModelUnsigned {
                model: model.to_owned(),
            });
        };
        let tampered = |reason: &str| SafeFrameError::ModelTampered {
            model: model.to_owned(),
            reason: reason.to_owned(),
        };
        let signature = PackSignature::parse(signature)
            .ok_or_else(|| tampered("its signature file is not a SafeFrame pack signature"))?;
        let key_id = signature.key_id;
        if self.revoked_keys.contains(&key_id) {
            return Err(SafeFrameError::ModelKeyRevoked {
                model: model.to_owned(),
                key_id: key_id.to_string(),
            });
        }
        let key =
            self.trusted_keys
                .iter()
                .find(|k| k.id() == key_id)
                .ok_or_else(|| SafeFrameError::ModelUntrusted {
                    model: model.to_owned(),
                    key_id: key_id.to_string(),
                })?;
        let message = signed_message(manifest_json, model_sha256)?;
        if !key.verify(&message, &Signature::from_bytes(&signature.signature)) {
            return Err(tampered("the manifest or its signature changed after signing"));
        }
        Ok(Some(key_id))
    }

    /// The rollback check: refuses `version` (a manifest's) when it is below
    /// [`TrustPolicy::min_version`].
    pub fn check_version(&self, model: &str, version: &str) -> Result<()> {
        let Some(minimum) = &self.min_version else {
            return Ok(());
        };
        let rolled_back = || SafeFrameError::ModelRolledBack {
            model: model.to_owned(),
            version: version.to_owned(),
            minimum: minimum.to_string(),
        };
        let version = PackVersion::parse(version).ok_or_else(rolled_back)?;
        if version < *minimum {
            return Err(rolled_back());
        }
        Ok(())
    }
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `N` bytes from `2N` hex digits (either case); `None` otherwise.
fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let high = (pair[0] as char).to_digit(16)?;
        let low = (pair[1] as char).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn signed(signer: &PackSigner, manifest: &[u8]) -> String {
        signer.sign(manifest, MODEL).unwrap().to_json()
    }

    #[test]
    fn the_shipped_keys_parse_and_have_names() {
        assert_eq!(TrustPolicy::shipped_keys().len(), SHIPPED_KEYS.len());
        for key in TrustPolicy::shipped_keys() {
            assert!(key.shipped_name().is_some());
            assert_eq!(PublicKey::parse(&key.to_string()), Some(key));
        }
        assert_eq!(TrustPolicy::default().trusted_keys, TrustPolicy::shipped_keys());
    }

    #[test]
    fn keys_and_signatures_round_trip_through_their_text() {
        let signer = PackSigner::from_seed([3; 32]);
        let again = PackSigner::parse(&signer.to_secret_text()).unwrap();
        assert_eq!(again.public_key(), signer.public_key());
        let key = signer.public_key();
        let text = key.to_string();
        assert_eq!(PublicKey::parse(&text), Some(key));
        assert_eq!(PublicKey::parse(text.trim_start_matches("ed25519:")), Some(key));
        assert_eq!(
            PublicKey::parse(&format!(
                "# comment\n\n{}\n",
                text.to_uppercase().replace("ED25519", "ed25519")
            )),
            Some(key)
        );
        assert_eq!(KeyId::parse(&key.id().to_string()), Some(key.id()));
        let signature = signer.sign(b"{}", MODEL).unwrap();
        assert_eq!(PackSignature::parse(signature.to_json().as_bytes()), Some(signature));
        assert!(format!("{signer:?}").contains(&key.id().to_string()));
        assert!(
            !format!("{signer:?}").contains(&encode_hex(&[3; 32])),
            "the secret never shows"
        );
        for bad in ["", "ed25519:12", "ed25519-secret:00", &"zz".repeat(32)] {
            assert_eq!(PublicKey::parse(bad), None, "{bad}");
        }
        assert!(PackSigner::parse(&text).is_none(), "a public key is not a secret key");
    }

    #[test]
    fn each_refusal_is_its_own_error() {
        let signer = PackSigner::from_seed([4; 32]);
        let other = PackSigner::from_seed([5; 32]);
        let manifest = br#"{"labels":["a","b"]}"#;
        let trust = TrustPolicy::only([signer.public_key()]);
        let good = signed(&signer, manifest);
        let check = |trust: &TrustPolicy, manifest: &[u8], signature: Option<&str>| {
            trust.check_signature("m", manifest, MODEL, signature.map(str::as_bytes))
        };
        assert_eq!(
            check(&trust, manifest, Some(&good)).unwrap(),
            Some(signer.public_key().id())
        );
        // Unsigned.
        assert!(matches!(
            check(&trust, manifest, None),
            Err(SafeFrameError::ModelUnsigned { .. })
        ));
        assert_eq!(check(&trust.clone().allowing_unsigned(), manifest, None).unwrap(), None);
        // Tampered manifest (labels reversed), tampered or unreadable signature.
        let reversed = br#"{"labels":["b","a"]}"#;
        assert!(matches!(
            check(&trust, reversed, Some(&good)),
            Err(SafeFrameError::ModelTampered { .. })
        ));
        let flipped = {
            let parsed = PackSignature::parse(good.as_bytes()).unwrap();
            let mut signature = parsed.signature;
            signature[10] ^= 1;
            PackSignature { signature, ..parsed }.to_json()
        };
        assert!(matches!(
            check(&trust, manifest, Some(&flipped)),
            Err(SafeFrameError::ModelTampered { .. })
        ));
        assert!(matches!(
            check(&trust, manifest, Some("{}")),
            Err(SafeFrameError::ModelTampered { .. })
        ));
        // A bad signature is refused even when unsigned packs are allowed.
        let lax = trust.clone().allowing_unsigned();
        assert!(matches!(
            check(&lax, reversed, Some(&good)),
            Err(SafeFrameError::ModelTampered { .. })
        ));
        // Another key: untrusted, unless it is trusted too.
        let theirs = signed(&other, manifest);
        assert!(matches!(
            check(&trust, manifest, Some(&theirs)),
            Err(SafeFrameError::ModelUntrusted { .. })
        ));
        let both = trust.clone().trusting(other.public_key());
        assert!(check(&both, manifest, Some(&theirs)).is_ok());
        assert!(check(&both, manifest, Some(&good)).is_ok());
        // Revoked wins over trusted.
        let revoked = both.revoking(other.public_key().id());
        assert!(matches!(
            check(&revoked, manifest, Some(&theirs)),
            Err(SafeFrameError::ModelKeyRevoked { .. })
        ));
        assert!(check(&revoked, manifest, Some(&good)).is_ok());
        // The shipped key does not vouch for a throwaway key's pack.
        assert!(matches!(
            check(&TrustPolicy::default(), manifest, Some(&good)),
            Err(SafeFrameError::ModelUntrusted { .. })
        ));
        // A signature for another model file does not verify.
        let other_model = "f".repeat(64);
        assert!(matches!(
            trust.check_signature("m", manifest, &other_model, Some(good.as_bytes())),
            Err(SafeFrameError::ModelTampered { .. })
        ));
    }

    #[test]
    fn versions_below_the_minimum_are_rolled_back() {
        let trust = TrustPolicy::default().with_min_version(PackVersion::parse("1.2.0").unwrap());
        for ok in ["1.2.0", "1.2.1", "1.10.0", "2.0.0-rc.1", "1.2.0+build"] {
            assert!(trust.check_version("m", ok).is_ok(), "{ok}");
        }
        for old in ["1.1.9", "0.9.0", "1.2.0-rc.1", "not a version"] {
            assert!(
                matches!(
                    trust.check_version("m", old),
                    Err(SafeFrameError::ModelRolledBack { .. })
                ),
                "{old}"
            );
        }
        assert!(TrustPolicy::default().check_version("m", "0.0.1").is_ok());
    }

    #[test]
    fn versions_order_as_semver_says() {
        let ordered = [
            "0.0.1",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.9.0",
            "1.10.0",
            "18446744073709551615.0.0",
        ];
        for pair in ordered.windows(2) {
            assert!(
                PackVersion::parse(pair[0]).unwrap() < PackVersion::parse(pair[1]).unwrap(),
                "{pair:?}"
            );
        }
        for bad in [
            "",
            "1",
            "1.0",
            "1.0.0.0",
            "1.a.0",
            "1.0.0-",
            "1.0.0+",
            "18446744073709551616.0.0",
            "1.0.0-a..b",
        ] {
            assert!(PackVersion::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn text_settings_name_the_bad_field() {
        let key = PackSigner::from_seed([6; 32]).public_key().to_string();
        let none: &[&str] = &[];
        let trust = TrustPolicy::from_text(&[&key], true, none, None, false).unwrap();
        assert_eq!(trust.trusted_keys.len(), 1);
        let trust = TrustPolicy::from_text(&[&key], false, &[&key], Some("1.0.0"), true).unwrap();
        assert_eq!(trust.trusted_keys.len(), TrustPolicy::shipped_keys().len() + 1);
        assert_eq!(trust.revoked_keys.len(), 1);
        assert!(trust.allow_unsigned);
        for (result, field) in [
            (
                TrustPolicy::from_text(&["x"], false, none, None, false),
                "trusted_keys[0]",
            ),
            (
                TrustPolicy::from_text(none, false, &["x"], None, false),
                "revoked_keys[0]",
            ),
            (
                TrustPolicy::from_text(none, false, none, Some("1.0"), false),
                "min_version",
            ),
            (TrustPolicy::from_text(none, true, none, None, false), "trusted_keys"),
        ] {
            match result {
                Err(SafeFrameError::InvalidConfig { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
