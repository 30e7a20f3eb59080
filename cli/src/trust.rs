//! Signed model packs in the CLI: the trust options every command that loads a model takes,
//! and `safeframe models keygen | sign | verify`. The checks are the core's
//! (`safeframe::signing`); this file only reads flags and files and prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use safeframe::manifest::{read_manifest, ModelPack, MAX_MODEL_BYTES};
use safeframe::signing::{PackSigner, PublicKey, TrustPolicy, SIGNATURE_FILE};
use safeframe::SafeFrameError;

use crate::bundled;
use crate::CliError;

/// Whose model packs load: the same options, by name, as `FilterOptions` in Kotlin and Swift
/// and `SafeFrameFilterOptions` in C.
#[derive(Args, Clone, Debug, Default)]
pub struct TrustArgs {
    /// Load model packs that have no signature.json (model development only). A pack whose
    /// signature is present but does not verify is refused even then.
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Also trust packs signed by this key: a `.pub` file or `ed25519:<64 hex>` (repeatable).
    #[arg(long = "trusted-key", value_name = "KEY")]
    pub trusted_keys: Vec<String>,
    /// Trust only the --trusted-key keys, not the keys SafeFrame ships.
    #[arg(long, requires = "trusted_keys")]
    pub replace_shipped_keys: bool,
    /// Refuse packs signed by this key: a key id (16 hex), a public key or a `.pub` file
    /// (repeatable).
    #[arg(long = "revoked-key", value_name = "KEY")]
    pub revoked_keys: Vec<String>,
    /// Refuse packs whose manifest version is below this (a rollback), e.g. 1.2.0.
    #[arg(long, value_name = "VERSION")]
    pub min_version: Option<String>,
}

impl TrustArgs {
    /// The core's trust policy for these flags; a key given as an existing file is read from it.
    pub fn policy(&self) -> Result<TrustPolicy, CliError> {
        let read = |values: &[String]| -> Result<Vec<String>, CliError> {
            values
                .iter()
                .map(|value| {
                    let path = Path::new(value);
                    if path.is_file() {
                        std::fs::read_to_string(path).map_err(|source| {
                            CliError::SafeFrame(SafeFrameError::Io {
                                path: path.to_path_buf(),
                                source,
                            })
                        })
                    } else {
                        Ok(value.clone())
                    }
                })
                .collect()
        };
        Ok(TrustPolicy::from_text(
            &read(&self.trusted_keys)?,
            self.replace_shipped_keys,
            &read(&self.revoked_keys)?,
            self.min_version.as_deref(),
            self.allow_unsigned,
        )?)
    }
}

/// Arguments of `safeframe models keygen`.
#[derive(Args)]
pub struct KeygenArgs {
    /// Where to write the secret key (created, never overwritten; readable by its owner only).
    /// Keep it out of any repository: see docs/models.md.
    #[arg(long)]
    pub secret: PathBuf,
    /// Where to write the public key (e.g. core/keys/safeframe-YYYY-MM.pub to ship it).
    #[arg(long)]
    pub public: PathBuf,
}

/// Arguments of `safeframe models sign`.
#[derive(Args)]
pub struct SignArgs {
    /// The secret key file (from `safeframe models keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// Model-pack directories to sign (each gets a signature.json).
    #[arg(required = true)]
    pub packs: Vec<PathBuf>,
}

/// Arguments of `safeframe models verify`.
#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Model-pack directories or bundled names; none: every bundled pack.
    pub packs: Vec<String>,
}

/// `safeframe models keygen`: a new signing key from the operating system's random source
/// (`getrandom`).
pub fn keygen(args: &KeygenArgs) -> Result<ExitCode, CliError> {
    if let Some(repo) = inside_git_work_tree(&args.secret) {
        return Err(CliError::Usage(format!(
            "--secret {}: inside the git work tree {}; a secret key never enters a repository (write it elsewhere, see docs/models.md)",
            args.secret.display(),
            repo.display()
        )));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| CliError::Usage(format!("no random source: {e}")))?;
    let signer = PackSigner::from_seed(seed);
    seed.fill(0);
    write_new(&args.secret, signer.to_secret_text().as_bytes(), true)?;
    let public = signer.public_key();
    write_new(
        &args.public,
        format!(
            "# SafeFrame model-pack signing key (ed25519 public), id {}\n{public}\n",
            public.id()
        )
        .as_bytes(),
        false,
    )?;
    println!(
        "key id {}\npublic key {public} -> {}\nsecret key -> {} (keep it offline; never commit it)",
        public.id(),
        args.public.display(),
        args.secret.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `safeframe models sign`: writes `signature.json` into each pack after checking that its
/// manifest is valid and its model file has the manifest's sha256.
pub fn sign(args: &SignArgs) -> Result<ExitCode, CliError> {
    let text = std::fs::read_to_string(&args.key).map_err(|source| SafeFrameError::Io {
        path: args.key.clone(),
        source,
    })?;
    let signer = PackSigner::parse(&text).ok_or_else(|| {
        CliError::Usage(format!(
            "--key {}: not a SafeFrame secret key (ed25519-secret:<64 hex>)",
            args.key.display()
        ))
    })?;
    for dir in &args.packs {
        // The whole pack is read and checked as a loader would (manifest fields, model sha256).
        let (json, manifest) = read_manifest(dir)?;
        ModelPack::from_bytes(&json, read_model(dir, &manifest.model_file)?)?;
        let signature = signer.sign(&json, &manifest.sha256)?;
        let path = dir.join(SIGNATURE_FILE);
        std::fs::write(&path, signature.to_json()).map_err(|e| CliError::Write(format!("{}: {e}", path.display())))?;
        println!(
            "{}: signed {} {} with key {}",
            dir.display(),
            manifest.name,
            manifest.version,
            signature.key_id
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `safeframe models verify`: each pack as a loader with these trust options would check it
/// (manifest, model sha256, signature, version). Exit 0 when every pack passes, 2 otherwise.
pub fn verify(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let trust = args.trust.policy()?;
    let names: Vec<String> = if args.packs.is_empty() {
        bundled::BUNDLED.iter().map(|m| m.name.to_owned()).collect()
    } else {
        args.packs.clone()
    };
    let mut failed = false;
    for name in &names {
        match verify_one(name, &trust) {
            Ok(line) => println!("{name}: ok, {line}"),
            Err(error) => {
                failed = true;
                eprintln!("safeframe: {name}: {error}");
            }
        }
    }
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn verify_one(name: &str, trust: &TrustPolicy) -> Result<String, CliError> {
    let (manifest, key, note) = if let Some(model) = bundled::BUNDLED.iter().find(|m| m.name == name) {
        // A bundled pack whose model file is not installed: its manifest and signature only.
        let (manifest, key) = model.check_trust(trust)?;
        let note = if model.onnx_len().is_some() {
            ""
        } else {
            " (model file not installed: manifest and signature only)"
        };
        (manifest, key, note)
    } else {
        let dir = Path::new(name);
        if !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "{name}: neither a bundled model nor a model-pack directory"
            )));
        }
        let pack = ModelPack::from_dir(dir)?;
        let key = pack.check_trust(trust)?;
        (pack.manifest().clone(), key, "")
    };
    Ok(format!(
        "{} {}, {}{note}",
        manifest.name,
        manifest.version,
        describe_key(key.as_ref(), trust)
    ))
}

/// "signed by key ID (NAME)" or "unsigned (allowed)".
pub fn describe_key(key: Option<&safeframe::signing::KeyId>, trust: &TrustPolicy) -> String {
    match key {
        None => "unsigned (allowed by --allow-unsigned)".to_owned(),
        Some(id) => {
            let name = trust
                .trusted_keys
                .iter()
                .find(|k| k.id() == *id)
                .and_then(PublicKey::shipped_name);
            format!(
                "signed by key {id}{}",
                name.map(|n| format!(" ({n}, shipped)")).unwrap_or_default()
            )
        }
    }
}

fn read_model(dir: &Path, file: &str) -> Result<Vec<u8>, CliError> {
    let path = dir.join(file);
    let bytes = std::fs::read(&path).map_err(|source| SafeFrameError::Io { path, source })?;
    if bytes.len() > MAX_MODEL_BYTES {
        return Err(CliError::Usage(format!("{file}: larger than {MAX_MODEL_BYTES} bytes")));
    }
    Ok(bytes)
}

/// The git work tree `path` would be written into, if any.
fn inside_git_work_tree(path: &Path) -> Option<PathBuf> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let start = std::fs::canonicalize(parent).ok()?;
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Writes a new file (never replacing one); `secret` files are readable by their owner only.
fn write_new(path: &Path, bytes: &[u8], secret: bool) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options
        .open(path)
        .map_err(|e| CliError::Write(format!("{}: {e}", path.display())))?;
    file.write_all(bytes)
        .map_err(|e| CliError::Write(format!("{}: {e}", path.display())))
}
