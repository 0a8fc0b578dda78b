"""TLS for ``faceedge serve``: unmodified Baidu clients (the Java, Go, PHP and C# SDKs) have
``https://aip.baidubce.com`` compiled in, so they reach a device only by that name, over TLS,
on port 443. The device answers with a certificate for that name that the client's machine has
been told to trust; :func:`make_certificate` makes one (self-signed), :func:`trust_steps` says
how to trust it and route the name to the device.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path
from typing import List, Sequence, Tuple

from ..errors import error

__all__ = ["tls_context", "make_certificate", "trust_steps", "BAIDU_HOST"]

BAIDU_HOST = "aip.baidubce.com"  # the host name Baidu's SDKs have compiled in
CERT_DAYS = 3650


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """The server's TLS context, after checking that the two files can be read and belong
    together (229014 naming the problem otherwise), so a bad pair fails when the server starts
    rather than at the first client's handshake. The connection gate does the handshake
    (:func:`~faceedge.server.connections.guarded_h11_protocol`), so that it counts and times
    connections from their first byte, not from the end of the handshake."""
    for label, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise error(229014, f"{label} {path!r} is not a readable file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise error(229014, f"the TLS certificate {cert!r} and key {key!r} cannot be used "
                            f"together: {exc.reason or exc}") from None
    return context


def make_certificate(out_dir: Path, hosts: Sequence[str], ips: Sequence[str] = ()
                     ) -> Tuple[Path, Path]:
    """A self-signed certificate (EC P-256, valid 10 years) for ``hosts`` and ``ips`` as its
    subjectAltName, written as ``faceedge-tls.crt`` and ``faceedge-tls.key`` (0600) in
    ``out_dir``. Returns (certificate, key)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as exc:
        raise error(229014, f"making a certificate needs the [server] extra "
                            f"(pip install 'faceedge[server]'): {exc}") from None
    if not hosts:
        raise error(229014, "name at least one host name for the certificate")
    try:
        addresses = [ipaddress.ip_address(ip) for ip in ips]
    except ValueError as exc:
        raise error(229014, f"not an IP address: {exc}") from None
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "faceedge device")])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt = [x509.DNSName(h) for h in hosts] + [x509.IPAddress(a) for a in addresses]
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            # A CA flag lets Java's and OpenSSL's trust stores take it as its own anchor.
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    out_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = out_dir / "faceedge-tls.crt", out_dir / "faceedge-tls.key"
    key_bytes = key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_bytes)
    os.chmod(key_path, 0o600)  # an existing file keeps its mode through O_CREAT
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def trust_steps(cert: Path, key: Path, hosts: Sequence[str], device_ip: str) -> List[str]:
    """What to run on the device and on each client machine, as lines to print."""
    first = hosts[0]
    return [
        f"certificate: {cert}",
        f"key:         {key} (0600: keep it on the device)",
        "",
        "On the device (port 443 needs root or CAP_NET_BIND_SERVICE):",
        f"  faceedge serve --library gate.db --host 0.0.0.0 --port 443 --tls-cert {cert} "
        f"--tls-key {key} --keys-file keys.txt",
        "",
        f"On each client machine, route {first} to the device:",
        f"  /etc/hosts (Windows: C:\\Windows\\System32\\drivers\\etc\\hosts):  {device_ip}  "
        + "  ".join(hosts),
        f"  or a local DNS record {first} -> {device_ip}",
        "  a single JVM only: java -Djdk.net.hosts.file=FILE (a file of such lines)",
        "",
        "and trust the certificate:",
        f"  Java:   keytool -importcert -noprompt -alias faceedge -file {cert} "
        "-keystore faceedge.jks -storepass changeit",
        "          java -Djavax.net.ssl.trustStore=faceedge.jks "
        "-Djavax.net.ssl.trustStorePassword=changeit ...",
        f"  Debian/Ubuntu: cp {cert} /usr/local/share/ca-certificates/faceedge.crt && "
        "update-ca-certificates",
        f"  Python (requests): REQUESTS_CA_BUNDLE={cert}",
        "",
        f"Clients then call https://{first}/... unchanged; the device never reaches Baidu.",
    ]
