//! Certificates for a fabric whose switches reach netmaster over mutual TLS, made with
//! `ovs-pki` as an operator would: netmaster's certificate from the controller CA, one
//! certificate per host named after it (`host1 id:<uuid>`) from the switch CA.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The certificates of one run, under its run directory.
#[derive(Debug, Clone)]
pub struct Pki {
    dir: PathBuf,
}

impl Pki {
    /// Creates the CAs, netmaster's certificate and one certificate for each of `hosts`.
    pub fn create<'a>(dir: &Path, hosts: impl IntoIterator<Item = &'a str>) -> Pki {
        let pki = Pki {
            dir: dir.join("pki"),
        };
        std::fs::create_dir_all(&pki.dir).expect("pki directory");
        pki.ovs_pki(&["init"]);
        pki.ovs_pki(&["req+sign", "controller", "controller"]);
        for host in hosts {
            pki.ovs_pki(&["req+sign", host, "switch"]);
        }
        pki
    }

    /// `ovs-pki ARGS` with the CAs under `ca/`, in the directory (where `req+sign` writes).
    fn ovs_pki(&self, args: &[&str]) {
        let out = Command::new("ovs-pki")
            .current_dir(&self.dir)
            .arg("--force")
            .arg(format!("--dir={}", self.dir.join("ca").display()))
            .args(args)
            .output()
            .expect("running ovs-pki");
        assert!(
            out.status.success(),
            "`ovs-pki {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// netmaster's TLS options (its certificate, key and the switch CA).
    pub fn netmaster_args(&self) -> Vec<String> {
        vec![
            format!("--of-tls-cert={}", self.file("controller-cert.pem")),
            format!("--of-tls-key={}", self.file("controller-privkey.pem")),
            format!("--of-tls-ca={}", self.file("ca/switchca/cacert.pem")),
        ]
    }

    /// `host`'s agent's TLS options (its key and certificate, and the controller CA).
    pub fn agent_args(&self, host: &str) -> Vec<String> {
        vec![
            format!("--of-ssl-key={}", self.file(&format!("{host}-privkey.pem"))),
            format!("--of-ssl-cert={}", self.file(&format!("{host}-cert.pem"))),
            format!("--of-ssl-ca={}", self.file("ca/controllerca/cacert.pem")),
        ]
    }
}
