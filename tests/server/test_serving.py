"""Serving options through a real `corral run`: ports, CORS, TLS, workers, graceful shutdown."""

from __future__ import annotations

import datetime
import ssl
import threading
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fixtures.fake_openai import run_fake_openai
from tests.fixtures.server import free_port, run_server, stop_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

MINIMAL = "version: 2\nserver:\n  port: {port}\n{extra}"


def test_server_port_is_honoured_and_port_flag_overrides(tmp_path: Path) -> None:
    port = free_port()
    path = tmp_path / "run.yaml"
    path.write_text(MINIMAL.format(port=port, extra=""))
    import os
    import subprocess

    from tests.fixtures.server import corral_command

    proc = subprocess.Popen(
        corral_command("run", str(path)),
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            pytest.fail("server.port was not honoured")
    finally:
        proc.terminate()
        proc.wait(10)
    with run_server(path, tmp_path) as server:  # run_server passes --port
        assert server.port != port
        assert httpx.get(f"{server.base_url}/v1/health").status_code == 200


def test_cors_true_allows_only_localhost(tmp_path: Path) -> None:
    with run_server(MINIMAL.format(port=1, extra="  cors: true\n"), tmp_path) as server:
        ok = httpx.get(f"{server.base_url}/v1/health", headers={"Origin": "http://localhost:3000"})
        assert ok.headers["access-control-allow-origin"] == "http://localhost:3000"
        denied = httpx.get(
            f"{server.base_url}/v1/health", headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in denied.headers
        preflight = httpx.options(
            f"{server.base_url}/v1/models",
            headers={"Origin": "http://127.0.0.1:5173", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"


def test_cors_explicit_origins(tmp_path: Path) -> None:
    extra = "  cors:\n    allow_origins: [https://myapp.com]\n    allow_credentials: true\n    max_age: 3600\n"
    with run_server(MINIMAL.format(port=1, extra=extra), tmp_path) as server:
        preflight = httpx.options(
            f"{server.base_url}/v1/health",
            headers={"Origin": "https://myapp.com", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.headers["access-control-allow-origin"] == "https://myapp.com"
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert preflight.headers["access-control-max-age"] == "3600"
        other = httpx.options(
            f"{server.base_url}/v1/health",
            headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
        )
        assert other.status_code == 400


def _cert(
    name: str,
    issuer_key: ec.EllipticCurvePrivateKey | None = None,
    issuer: x509.Name | None = None,
    ca: bool = False,
    san: bool = False,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        import ipaddress

        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return key, cert


def _write(
    path: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate
) -> tuple[Path, Path]:
    key_path, cert_path = path.with_suffix(".key"), path.with_suffix(".pem")
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def test_tls_and_client_certificates(tmp_path: Path) -> None:
    ca_key, ca = _cert("corral test CA", ca=True)
    _, ca_path = _write(tmp_path / "ca", ca_key, ca)
    srv_key, srv = _cert("localhost", ca_key, ca.subject, san=True)
    srv_key_path, srv_cert_path = _write(tmp_path / "server", srv_key, srv)
    cli_key, cli = _cert("client", ca_key, ca.subject)
    cli_key_path, cli_cert_path = _write(tmp_path / "client", cli_key, cli)

    trust = ssl.create_default_context(cafile=str(ca_path))
    tls = f"  tls_certfile: {srv_cert_path}\n  tls_keyfile: {srv_key_path}\n"
    with run_server(
        MINIMAL.format(port=1, extra=tls), tmp_path, scheme="https", verify=trust
    ) as server:
        assert httpx.get(f"{server.base_url}/v1/health", verify=trust).json() == {"status": "OK"}
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.base_url}/v1/health")  # not trusted without the CA

    mtls = tls + f"  tls_cafile: {ca_path}\n"
    context = ssl.create_default_context(cafile=str(ca_path))
    context.load_cert_chain(str(cli_cert_path), str(cli_key_path))
    with run_server(
        MINIMAL.format(port=1, extra=mtls), tmp_path, scheme="https", verify=context
    ) as server:
        assert httpx.get(f"{server.base_url}/v1/health", verify=context).status_code == 200
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{server.base_url}/v1/health", verify=trust).raise_for_status()


def test_two_workers_serve(tmp_path: Path) -> None:
    with run_server(MINIMAL.format(port=1, extra="  workers: 2\n"), tmp_path) as server:
        for _ in range(10):
            assert httpx.get(f"{server.base_url}/v1/health").status_code == 200


def test_sigterm_lets_the_in_flight_request_finish(tmp_path: Path) -> None:
    with run_fake_openai() as fake:
        config = f"""version: 2
providers:
  inference:
  - {{provider_id: fake, provider_type: remote::openai-compatible, config: {{base_url: "{fake.url}"}}}}
models:
- {{model_id: slow-1.5, provider_id: fake}}
"""
        with run_server(config, tmp_path) as server:
            result: dict[str, object] = {}

            def call() -> None:
                r = httpx.post(
                    f"{server.base_url}/v1/chat/completions",
                    timeout=30,
                    json={"model": "fake/slow-1.5", "messages": [{"role": "user", "content": "x"}]},
                )
                result["status"] = r.status_code
                result["body"] = r.json()

            thread = threading.Thread(target=call)
            thread.start()
            time.sleep(0.5)
            code = stop_server(server)
            thread.join(10)
            assert result["status"] == 200
            assert code in (0, -15)  # uvicorn re-raises SIGTERM after its graceful shutdown
            assert "Application shutdown complete" in server.log()
