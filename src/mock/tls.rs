//! https for the mock: a certificate authority made at start, a server certificate it signs
//! for `localhost` and `127.0.0.1` (and any other names asked for), the authority written to a
//! PEM file the clients trust, and a listener that hands axum TLS streams.
//!
//! Handshakes run in tasks of their own, so a client that connects and says nothing cannot
//! hold up the others; a failed handshake is dropped quietly (the client sees its own error).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Why https could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot make a certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot set up TLS: {0}")]
    Config(#[from] rustls::Error),
    #[error("cannot write the certificate to {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// A certificate authority made at start, and the server certificate it signed.
pub struct SelfSigned {
    /// The authority's certificate in PEM: what clients trust (`--cert-out`).
    pub certificate_pem: String,
    config: Arc<rustls::ServerConfig>,
}

impl SelfSigned {
    /// A new authority, and a server certificate it signs for `localhost`, `127.0.0.1` and
    /// `names`. Two certificates rather than one self-signed: OpenSSL-based clients (Python's
    /// `ssl`, curl) trust only an authority, and rustls refuses an authority as a server's own.
    pub fn new(names: &[String]) -> Result<Self, TlsError> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "sn-conform mock CA");
        let ca = ca_params.self_signed(&ca_key)?;

        let mut subjects = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        subjects.extend(names.iter().filter(|n| !n.is_empty()).cloned());
        subjects.dedup();
        let leaf_key = KeyPair::generate()?;
        let mut leaf_params = CertificateParams::new(subjects)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "sn-conform mock");
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
        );
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            certificate_pem: ca.pem(),
            config: Arc::new(config),
        })
    }

    /// Writes the certificate (PEM) to `path`.
    pub fn write(&self, path: &std::path::Path) -> Result<(), TlsError> {
        std::fs::write(path, &self.certificate_pem).map_err(|source| TlsError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// A listener that accepts TLS connections on `listener`.
    pub fn listener(&self, listener: TcpListener) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(Arc::clone(&self.config));
        let (ready, streams) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else {
                    continue;
                };
                // The server is gone: stop accepting.
                if ready.is_closed() {
                    break;
                }
                let acceptor = acceptor.clone();
                let handshaken = ready.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) = tokio::time::timeout(
                        std::time::Duration::from_secs(10),
                        acceptor.accept(tcp),
                    )
                    .await
                    {
                        let _ = handshaken.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener { local, streams })
    }
}

/// TLS streams whose handshake is done, for `axum::serve`.
pub struct TlsListener {
    local: SocketAddr,
    streams: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.streams.recv().await {
            Some(stream) => stream,
            // The accept loop ended (it never does while the listener lives).
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
