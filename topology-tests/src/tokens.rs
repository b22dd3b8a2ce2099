//! The API tokens of a fabric run: netmaster gets a token file (`--api-tokens`) with an admin
//! token, which the tests and `netctl` present, and one agent token per host, which that
//! host's agent and `netplugin attach` present (`--token-file`). Tokens are random.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The tokens of one run, written under its run directory.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// netmaster's token file.
    pub file: PathBuf,
    /// The admin token.
    pub admin: String,
    dir: PathBuf,
}

impl Tokens {
    /// Creates an admin token and an agent token for each of `hosts` under `dir/tokens/`.
    pub fn create<'a>(dir: &Path, hosts: impl IntoIterator<Item = &'a str>) -> Tokens {
        let dir = dir.join("tokens");
        std::fs::create_dir_all(&dir).expect("tokens directory");
        let admin = random_token();
        let mut entries = vec![serde_json::json!({"token": admin, "role": "admin"})];
        for host in hosts {
            let token = random_token();
            std::fs::write(dir.join(format!("{host}.token")), format!("{token}\n"))
                .expect("agent token file");
            entries.push(serde_json::json!({"token": token, "role": "agent", "host": host}));
        }
        let file = dir.join("api-tokens.json");
        std::fs::write(&file, serde_json::json!({ "tokens": entries }).to_string())
            .expect("token file");
        Tokens { file, admin, dir }
    }

    /// A file holding the admin token (written on first use).
    pub fn admin_file(&self) -> PathBuf {
        let file = self.dir.join("admin.token");
        std::fs::write(&file, format!("{}\n", self.admin)).expect("admin token file");
        file
    }

    /// The file holding the agent token of `host`.
    pub fn agent_file(&self, host: &str) -> PathBuf {
        self.dir.join(format!("{host}.token"))
    }
}

/// 128 random bits in hex.
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("/dev/urandom");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
