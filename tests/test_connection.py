"""Connection options: flags, TEMPORAL_* variables and temporal.toml profiles; failures are one
sentence, exit code 2, within a bounded time, and never show the API key."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from replaycheck.cli import main
from replaycheck.connection import ConnectionOptions, resolve, safe_address
from replaycheck.errors import ConfigError
from tests.fake_grpc import make_certificates, refusing_server
from tests.tls_proxy import (
    CLIENT_EXTENSIONS,
    SERVER_EXTENSIONS,
    Issued,
    issue,
    make_ca,
    server_context,
    tls_proxy,
)

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

KEY = "tmprl-SECRET-api-key-0123456789"
PROFILES = f"""
[profile.default]
address = "profile.example:7233"
namespace = "profile-ns"

[profile.prod]
address = "prod.example:7233"
namespace = "prod-ns"
api_key = "{KEY}"

[profile.prod.tls]
server_name = "sni.prod.example"
"""


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No TEMPORAL_* variables from the machine; TEMPORAL_CONFIG_FILE points at a test file."""
    import os

    for name in list(os.environ):
        if name.startswith("TEMPORAL_"):
            monkeypatch.delenv(name)
    config = tmp_path / "temporal.toml"
    config.write_text(PROFILES)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))
    return config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_address() -> Iterator[str]:
    """A port that accepts TCP connections and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield f"127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 it signed."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    return make_certificates(tmp_path_factory.mktemp("tls"))


def invoke(*args: str, env: Mapping[str, str] | None = None) -> tuple[Result, float]:
    started = time.monotonic()
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result, time.monotonic() - started


def assert_one_sentence(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("replaycheck: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    assert KEY not in result.stdout + result.stderr


# --------------------------------------------------------------------------- resolving


def test_defaults_without_flags_env_or_profile(clean_env: Path) -> None:
    clean_env.write_text("")
    connection = resolve(ConnectionOptions())
    assert (connection.address, connection.namespace, connection.tls) == (
        "localhost:7233", "default", False,
    )  # fmt: skip


def test_profile_then_environment_then_flags(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve(ConnectionOptions()).address == "profile.example:7233"
    monkeypatch.setenv("TEMPORAL_ADDRESS", "env.example:7233")
    connection = resolve(ConnectionOptions())
    assert (connection.address, connection.namespace) == ("env.example:7233", "profile-ns")
    connection = resolve(ConnectionOptions(address="flag.example:7233", namespace="flag-ns"))
    assert (connection.address, connection.namespace) == ("flag.example:7233", "flag-ns")


def test_named_profile_with_api_key_turns_tls_on_and_hides_the_key(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = resolve(ConnectionOptions(profile="prod"))
    assert (connection.address, connection.namespace, connection.tls) == (
        "prod.example:7233", "prod-ns", True,
    )  # fmt: skip
    assert KEY not in repr(connection) + repr(ConnectionOptions(api_key=KEY))
    assert connection.redact(f"bad key {KEY}") == "bad key ***"
    monkeypatch.setenv("TEMPORAL_PROFILE", "prod")
    assert resolve(ConnectionOptions(tls=False)).tls is False


def test_tls_files_turn_tls_on_and_a_missing_one_is_named(clean_env: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match=f"cannot read the TLS file {missing}"):
        resolve(ConnectionOptions(tls_ca_path=str(missing)))
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    assert resolve(ConnectionOptions(tls_ca_path=str(ca))).tls is True


def test_unknown_profile_names_the_profiles_the_file_has(clean_env: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(ConnectionOptions(profile="staging"))
    assert str(caught.value) == (
        f"the Temporal config file {clean_env} has no profile 'staging' (its profiles are "
        "default, prod); check --profile and TEMPORAL_PROFILE."
    )


@pytest.mark.parametrize("how", ["--profile", "TEMPORAL_PROFILE"])
def test_a_profile_without_the_default_config_file_says_where_it_was_looked_for(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    # No TEMPORAL_CONFIG_FILE: temporalio reads temporalio/temporal.toml in the configuration
    # directory, and a file that is not there used to read as "Profile 'staging' not found".
    monkeypatch.delenv("TEMPORAL_CONFIG_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    args = [*LIVE_COMMANDS["check"]]
    env = {"TEMPORAL_PROFILE": "staging"} if how == "TEMPORAL_PROFILE" else {}
    if how == "--profile":
        args += ["--profile", "staging"]
    result, _ = invoke(*args, env=env)
    default = tmp_path / "config" / "temporalio" / "temporal.toml"
    assert_one_sentence(
        result,
        f"there is no profile 'staging': the Temporal config file {default} (the default; "
        "TEMPORAL_CONFIG_FILE is not set) does not exist;",
        "temporal config set --profile staging --prop address --value HOST:PORT",
    )
    # The default file is the one temporalio reads: once it holds the profile, it loads.
    default.parent.mkdir(parents=True)
    default.write_text('[profile.staging]\naddress = "staging.example:7233"\n')
    assert resolve(ConnectionOptions(profile="staging")).address == "staging.example:7233"


def test_config_file_parse_error_does_not_quote_the_key(clean_env: Path) -> None:
    clean_env.write_text(f'[profile.default]\napi_key = "{KEY}\n')
    with pytest.raises(ConfigError) as caught:
        resolve(ConnectionOptions())
    assert str(caught.value).startswith(f"{clean_env}: cannot read it as TOML (")
    assert "(at line 2, column" in str(caught.value)
    assert KEY not in str(caught.value)


def test_safe_address_drops_scheme_and_credentials() -> None:
    assert safe_address("https://user:pw@ns.tmprl.cloud:7233/x?y=1") == "ns.tmprl.cloud:7233"
    assert safe_address("127.0.0.1:7233") == "127.0.0.1:7233"


# --------------------------------------------------------------------------- failing to connect


@pytest.mark.parametrize("command", ["export", "check"])
def test_connection_refused_is_one_sentence(command: str, clean_env: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    args = ["-q", "WorkflowType='X'", "--address", address, "--api-key", KEY, "--no-tls"]
    if command == "check":
        args = ["--live", "-w", "tests.workflows.sayhello", *args]
    result, elapsed = invoke(command, *args)
    assert_one_sentence(result, f"cannot connect to Temporal at {address}: connection refused;")
    assert elapsed < 30


def test_an_address_without_a_port_says_the_port_tried_and_the_one_to_give(
    clean_env: Path,
) -> None:
    # `--address localhost` reads as a dev server's address, but the client tries HTTP's port
    result, _ = invoke("export", "-q", "WorkflowType='X'", "--address", "127.0.0.1", "--no-tls")
    assert_one_sentence(
        result,
        "cannot connect to Temporal at 127.0.0.1: connection refused (no port given, so port 80 "
        "was tried; give the frontend's gRPC port, 7233 by default: 127.0.0.1:7233); check "
        "--address",
    )


@pytest.mark.parametrize("address", ["localhost:72333", "localhost:abc", "not a host"])
def test_an_address_that_is_not_host_port_is_one_sentence(clean_env: Path, address: str) -> None:
    result, _ = invoke("export", "-q", "WorkflowType='X'", "--address", address)
    assert_one_sentence(result, f"{address} is not an address Temporal can connect to (")


@pytest.mark.parametrize(
    ("address", "given"),
    [
        ("http://127.0.0.1:7233", "http://127.0.0.1:7233"),
        ("https://user:pw@127.0.0.1:7233/", "https://127.0.0.1:7233"),
        ("dns:///127.0.0.1:7233", "dns://127.0.0.1:7233"),
    ],
)
def test_an_address_with_a_url_scheme_says_to_drop_it(
    clean_env: Path, address: str, given: str
) -> None:
    # temporalio warned ("Target host as URL with scheme no longer supported") and then failed
    # in core's words (HttpsUriWithoutTlsSupport, InvalidUri) or at an empty address
    for command in (["export", "-q", "WorkflowType='X'"], ["check", "--live", "-w", "m"]):
        result, _ = invoke(*command, "--address", address)
        assert_one_sentence(
            result,
            f"the address {given} is a URL, and Temporal takes host:port without a scheme; give "
            "127.0.0.1:7233 to --address (or TEMPORAL_ADDRESS, or the profile).",
        )
    assert "pw" not in result.stderr


@pytest.mark.parametrize(("option", "value"), [("--connect-timeout", "nan"),
                                               ("--connect-timeout", "1e300")])  # fmt: skip
def test_a_connect_timeout_out_of_range_is_a_usage_error(
    clean_env: Path, option: str, value: str
) -> None:
    result, _ = invoke("export", "-q", "WorkflowType='X'", option, value)
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.stderr


def test_silent_server_times_out(clean_env: Path, silent_address: str) -> None:
    result, elapsed = invoke(
        "export", "-q", "WorkflowType='X'", "--address", silent_address, "--connect-timeout", "1"
    )
    assert_one_sentence(result, f"no answer from Temporal at {silent_address} within 1 s")
    assert elapsed < 15


def test_wrong_api_key_over_tls(clean_env: Path, certificates: tuple[Path, Path, Path]) -> None:
    ca, cert, key = certificates
    with refusing_server((cert, key)) as address:
        tls = ["--tls-ca-path", str(ca), "--tls-server-name", "localhost"]
        result, elapsed = invoke(
            "export", "-q", "WorkflowType='X'", "--address", address, "--api-key", KEY, *tls
        )
        assert_one_sentence(result, f"Temporal at {address} refused the credentials")
        assert elapsed < 15
        # The same key from the environment, through check --live.
        result, _ = invoke(
            "check", "--live", "-w", "tests.workflows.sayhello", "--address", address, *tls,
            env={"TEMPORAL_API_KEY": KEY},
        )  # fmt: skip
        assert_one_sentence(result, "refused the credentials", "--api-key")


def test_wrong_api_key_without_tls(clean_env: Path) -> None:
    with refusing_server() as address:
        result, _ = invoke(
            "export", "--workflow-id", "x", "--address", address, "--api-key", KEY, "--no-tls"
        )
    assert_one_sentence(result, "refused the credentials (invalid API key)")


def test_untrusted_server_certificate(
    clean_env: Path, certificates: tuple[Path, Path, Path]
) -> None:
    _, cert, key = certificates
    with refusing_server((cert, key)) as address:
        result, _ = invoke("export", "--workflow-id", "x", "--address", address, "--tls")
    assert_one_sentence(result, f"the TLS certificate of {address} is not trusted", "--tls-ca-path")


def test_tls_to_a_plaintext_server(clean_env: Path) -> None:
    with refusing_server() as address:
        result, _ = invoke("export", "--workflow-id", "x", "--address", address, "--api-key", KEY)
    assert_one_sentence(result, "the server does not speak TLS", "--no-tls")


LIVE_COMMANDS = {
    "export": ["export", "--workflow-id", "x"],
    "check": ["check", "--live", "-w", "tests.workflows.sayhello", "--workflow-id", "x"],
    "patches": ["patches", "--live", "-w", "tests.workflows.sayhello", "--workflow-id", "x"],
}


@pytest.fixture
def http_address() -> Iterator[str]:
    """A plain HTTP/1.1 server: something listening that is not a Temporal frontend."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Not on stderr, which the tests read."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("command", sorted(LIVE_COMMANDS))
def test_not_a_temporal_frontend(command: str, clean_env: Path, http_address: str) -> None:
    result, elapsed = invoke(*LIVE_COMMANDS[command], "--address", http_address)
    assert_one_sentence(
        result,
        f"the server at {http_address} ",
        "check --address (the frontend's gRPC port, 7233 by default)",
    )
    # what the HTTP server did first: answered HTTP/1.1, or (on a busy machine) hung up
    assert any(f"{http_address} {what}" in result.stderr
               for what in ("did not answer as a Temporal frontend (",
                            "closed the connection without answering;"))  # fmt: skip
    assert elapsed < 30


@pytest.mark.parametrize("command", sorted(LIVE_COMMANDS))
@pytest.mark.parametrize("given", ["--tls-cert-path", "--tls-key-path"])
def test_client_certificate_and_key_go_together(
    command: str, given: str, clean_env: Path, tmp_path: Path
) -> None:
    pem = tmp_path / "client.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    address = f"127.0.0.1:{free_port()}"
    result, elapsed = invoke(*LIVE_COMMANDS[command], "--address", address, given, str(pem))
    what = "certificate" if given == "--tls-cert-path" else "private key"
    assert_one_sentence(
        result,
        f"mTLS needs the client certificate and its private key, but only the {what} was given",
        "give both --tls-cert-path and --tls-key-path",
    )
    assert elapsed < 10  # decided before connecting to anything


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("key", "the TLS client key file {junk} holds no PEM private key; give --tls-key-path"),
        ("cert", "the TLS client certificate file {junk} holds no PEM certificate; give "
                 "--tls-cert-path"),
        ("pair", "the TLS client key does not belong to the client certificate"),
    ],
)  # fmt: skip
def test_unusable_client_certificate_or_key_names_its_option(
    bad: str, message: str, clean_env: Path, certificates: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    ca, cert, key = certificates
    junk = tmp_path / "hostname"
    junk.write_text("build-host\n")
    ca_key = ca.with_name("ca.key")  # a real key, of another certificate
    files = {"key": (cert, junk), "cert": (junk, key), "pair": (cert, ca_key)}[bad]
    result, _ = invoke(
        "export", "--workflow-id", "x", "--address", f"127.0.0.1:{free_port()}",
        "--tls-cert-path", str(files[0]), "--tls-key-path", str(files[1]),
    )  # fmt: skip
    assert_one_sentence(result, message.format(junk=junk))
    assert "--address" not in result.stderr


def test_check_live_with_an_unwritable_report_fails_before_connecting(
    clean_env: Path, silent_address: str, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    report = tmp_path / "file" / "r.txt"
    result, elapsed = invoke(
        *LIVE_COMMANDS["check"], "--address", silent_address, "-o", str(report)
    )
    assert_one_sentence(result, f"cannot write the report to {report}")
    assert elapsed < 10


# --------------------------------------------------------------------------- usage


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "-q", "x", "-w", "m"], "drop -w, or put the types in the query"),
        (["export", "-q", "x", "--workflow-id", "y"], "give either --query or --workflow-id"),
        (["check", "--query", "x"], "select live executions: add --live"),
        (["check", "--live", "fixtures/histories"], "drop the PATH arguments"),
        (["check", "--live", "--jobs", "2"], "drop --jobs"),
    ],
)
def test_usage_errors(args: list[str], message: str, clean_env: Path) -> None:
    result, elapsed = invoke(*args)
    assert_one_sentence(result, message)
    assert elapsed < 10  # decided before connecting to anything


def test_importing_the_cluster_modules_does_not_import_temporalio() -> None:
    import subprocess
    import sys

    code = (
        "import sys, replaycheck.cli, replaycheck.connection, replaycheck.cluster, "
        "replaycheck.export, replaycheck.live, replaycheck.shapes; "
        "assert 'temporalio' not in sys.modules, 'temporalio imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- TLS, real server


@dataclass(frozen=True)
class Pki:
    """Certificates for the TLS proxies: two CAs and what they issued."""

    ca: Issued
    other_ca: Issued
    server: Issued
    """For localhost and 127.0.0.1."""
    elsewhere: Issued
    """A server certificate for temporal.internal and frontend.internal only."""
    client: Issued
    """X.509 v3, for clientAuth: what mTLS servers accept."""
    client_v1: Issued
    """What plain ``openssl x509 -req`` makes."""
    stranger: Issued
    """A v3 client certificate of the other CA."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Throw-away CAs and certificates (made with the ``openssl`` command)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    out = tmp_path_factory.mktemp("pki")
    ca, other_ca = make_ca(out, "ca"), make_ca(out, "other-ca")
    elsewhere = "subjectAltName=DNS:temporal.internal,DNS:frontend.internal\n"
    return Pki(
        ca=ca, other_ca=other_ca,
        server=issue(ca, out, "server", SERVER_EXTENSIONS),
        elsewhere=issue(ca, out, "elsewhere", elsewhere),
        client=issue(ca, out, "client", CLIENT_EXTENSIONS),
        client_v1=issue(ca, out, "client-v1", None),
        stranger=issue(other_ca, out, "stranger", CLIENT_EXTENSIONS),
    )  # fmt: skip


@dataclass(frozen=True)
class Fronts:
    """TLS proxies (``host:port``) in front of the session's dev server."""

    tls: str
    mtls: str
    mtls_hanging_up: str
    """mTLS that closes the connection on a refused certificate instead of sending an alert."""
    elsewhere: str
    """Plain TLS with the certificate for other names."""


@pytest.fixture(scope="module")
def fronts(dev_server: WorkflowEnvironment, pki: Pki) -> Iterator[Fronts]:
    """The dev server behind TLS, behind mTLS (two ways of refusing) and behind a certificate
    for other names."""
    upstream = dev_server.client.service_client.config.target_host
    mtls = server_context(pki.server, pki.ca.cert)
    with contextlib.ExitStack() as stack:
        yield Fronts(*(
            stack.enter_context(tls_proxy(upstream, context, alert=alert))
            for context, alert in ((server_context(pki.server), True), (mtls, True),
                                   (mtls, False), (server_context(pki.elsewhere), True))
        ))  # fmt: skip


def export_through(address: str, *tls: str | Path) -> tuple[Result, float]:
    return invoke(
        "export", "--workflow-id", "nope", "-n", "default", "--address", address, *map(str, tls)
    )


REACHED = "1 selected execution not found: nope"
"""What the frontend behind the proxy answers once TLS went through."""


@pytest.mark.server
def test_tls_and_mtls_through_the_proxy_reach_the_server(
    clean_env: Path, pki: Pki, fronts: Fronts
) -> None:
    result, _ = export_through(fronts.tls, "--tls-ca-path", pki.ca.cert)
    assert_one_sentence(result, REACHED)
    client = ["--tls-cert-path", pki.client.cert, "--tls-key-path", pki.client.key]
    result, _ = export_through(fronts.mtls, "--tls-ca-path", pki.ca.cert, *client)
    assert_one_sentence(result, REACHED)


@pytest.mark.server
def test_a_v1_client_certificate_is_named_with_the_fix(
    clean_env: Path, pki: Pki, fronts: Fronts
) -> None:
    v1 = ["--tls-cert-path", pki.client_v1.cert, "--tls-key-path", pki.client_v1.key]
    result, _ = export_through(fronts.mtls, "--tls-ca-path", pki.ca.cert, *v1)
    assert_one_sentence(
        result,
        f"the TLS client certificate file {pki.client_v1.cert} is an X.509 v1 certificate",
        "reissue it as v3",
    )
    assert "not trusted" not in result.stderr


def says_one_of(result: Result, *sentences: str) -> None:
    assert any(sentence in result.stderr for sentence in sentences), result.stderr


@pytest.mark.server
@pytest.mark.parametrize("alert", [True, False], ids=["alert", "hang-up"])
def test_mtls_without_a_client_certificate_asks_for_one(
    clean_env: Path, pki: Pki, fronts: Fronts, alert: bool
) -> None:
    address = fronts.mtls if alert else fronts.mtls_hanging_up
    result, elapsed = export_through(address, "--tls-ca-path", pki.ca.cert)
    assert_one_sentence(
        result, "give --tls-cert-path and --tls-key-path (or the TEMPORAL_TLS_* variables"
    )
    hung_up = f"the server at {address} closed the TLS connection without answering; if it "
    # hyper reports some alerts (1 in 6 here, under load) as the connection closing: the alert
    # is then asked for again
    alerted = f"the server at {address} requires a TLS client certificate (mTLS)"
    says_one_of(result, alerted if alert else hung_up)
    assert "Temporal frontend" not in result.stderr
    assert elapsed < 30


@pytest.mark.server
def test_mtls_whose_alert_core_lost_still_says_a_client_certificate_is_required(
    clean_env: Path, pki: Pki, dev_server: WorkflowEnvironment
) -> None:
    # The first refusal reaches core as the connection closing, with no alert (as the reset
    # of a server closing with the client's request unread can overtake the alert); export
    # asks the server again, quietly, and reads the alert.
    upstream = dev_server.client.service_client.config.target_host
    mtls = server_context(pki.server, pki.ca.cert)
    with tls_proxy(upstream, mtls, lose_first=True) as address:
        result, elapsed = export_through(address, "--tls-ca-path", pki.ca.cert)
    assert_one_sentence(
        result,
        f"the server at {address} requires a TLS client certificate (mTLS); give "
        "--tls-cert-path and --tls-key-path (or the TEMPORAL_TLS_* variables, or the profile).",
    )
    assert "closed the TLS connection" not in result.stderr
    assert elapsed < 30


@pytest.mark.server
@pytest.mark.parametrize("alert", [True, False], ids=["alert", "hang-up"])
def test_mtls_with_a_certificate_of_another_ca_says_it_was_refused(
    clean_env: Path, pki: Pki, fronts: Fronts, alert: bool
) -> None:
    address = fronts.mtls if alert else fronts.mtls_hanging_up
    stranger = ["--tls-cert-path", pki.stranger.cert, "--tls-key-path", pki.stranger.key]
    result, _ = export_through(address, "--tls-ca-path", pki.ca.cert, *stranger)
    assert_one_sentence(result, "check that --tls-cert-path is signed by a CA the server trusts")
    hung_up = (
        f"the server at {address} closed the TLS connection without answering, so it may have "
        "refused the client certificate"
    )
    alerted = f"the server at {address} refused the TLS client certificate (unknown CA)"
    says_one_of(result, hung_up, *([alerted] if alert else []))
    assert "Temporal frontend" not in result.stderr


@pytest.mark.server
def test_a_certificate_for_other_names_lists_them(
    clean_env: Path, pki: Pki, fronts: Fronts
) -> None:
    result, _ = export_through(fronts.elsewhere, "--tls-ca-path", pki.ca.cert)
    assert_one_sentence(
        result,
        f"the TLS certificate of {fronts.elsewhere} is for temporal.internal and "
        "frontend.internal, not 127.0.0.1; set --tls-server-name to one of them.",
    )
    assert "NotValidForName" not in result.stderr
    result, _ = export_through(
        fronts.tls, "--tls-ca-path", pki.ca.cert, "--tls-server-name", "temporal.example"
    )
    assert_one_sentence(result, "is for localhost and 127.0.0.1, not temporal.example;")
    # the fix the sentence gives works
    result, _ = export_through(
        fronts.elsewhere, "--tls-ca-path", pki.ca.cert, "--tls-server-name", "temporal.internal"
    )
    assert_one_sentence(result, REACHED)


@pytest.mark.server
@pytest.mark.parametrize("ca", ["none", "other"])
def test_a_server_certificate_of_an_unknown_ca_says_which_ca_to_give(
    clean_env: Path, pki: Pki, fronts: Fronts, ca: str
) -> None:
    given = ["--tls-ca-path", pki.other_ca.cert] if ca == "other" else ["--tls"]
    result, _ = export_through(fronts.tls, *given)
    where = f"the CA in {pki.other_ca.cert}" if ca == "other" else "a CA this machine trusts"
    assert_one_sentence(
        result,
        f"the TLS certificate of {fronts.tls} is not trusted: {where} did not sign it;",
        "--tls-ca-path",
    )
    assert "UnknownIssuer" not in result.stderr


@pytest.mark.parametrize("form", ["text", "der", "key"])
def test_a_ca_file_that_is_not_a_pem_certificate_is_named_before_connecting(
    clean_env: Path, pki: Pki, tmp_path: Path, silent_address: str, form: str
) -> None:
    bad = {"text": tmp_path / "bad.pem", "der": tmp_path / "ca.der", "key": pki.ca.key}[form]
    if form == "text":
        bad.write_text("hello\n")
    elif form == "der":
        der = subprocess.run(
            ["openssl", "x509", "-in", pki.ca.cert, "-outform", "der"], capture_output=True
        )
        bad.write_bytes(der.stdout)
    result, elapsed = export_through(silent_address, "--tls-ca-path", bad)
    if form == "der":
        assert_one_sentence(result, f"the CA certificate file {bad} is DER, not PEM;",
                            f"openssl x509 -inform der -in {bad} -out")  # fmt: skip
    else:
        assert_one_sentence(
            result, f"the CA certificate file {bad} holds no PEM certificate;", "--tls-ca-path"
        )
    assert elapsed < 10  # decided before connecting to anything


def test_an_encrypted_client_key_is_named_before_connecting(
    clean_env: Path, pki: Pki, tmp_path: Path, silent_address: str
) -> None:
    encrypted = tmp_path / "client.enc.key"
    subprocess.run(
        ["openssl", "pkey", "-in", pki.client.key, "-out", encrypted, "-aes256",
         "-passout", "pass:secret"],
        check=True, capture_output=True,
    )  # fmt: skip
    result, elapsed = export_through(
        silent_address, "--tls-cert-path", pki.client.cert, "--tls-key-path", encrypted
    )
    assert_one_sentence(
        result, f"the TLS client key file {encrypted} is encrypted;", "openssl pkey"
    )
    assert elapsed < 10


@pytest.mark.parametrize("how", ["--profile", "TEMPORAL_PROFILE"])
def test_a_missing_config_file_is_named(clean_env: Path, tmp_path: Path, how: str) -> None:
    missing = tmp_path / "nope" / "temporal.toml"
    env = {"TEMPORAL_CONFIG_FILE": str(missing)}
    args = [*LIVE_COMMANDS["check"]]
    if how == "--profile":
        args += ["--profile", "staging"]
    else:
        env["TEMPORAL_PROFILE"] = "staging"
    result, elapsed = invoke(*args, env=env)
    assert_one_sentence(
        result, f"the Temporal config file {missing} (TEMPORAL_CONFIG_FILE) does not exist;"
    )
    assert "not found" not in result.stderr
    assert elapsed < 10


@pytest.mark.parametrize(
    ("address", "shown"),
    [(" 127.0.0.1:7233", "' 127.0.0.1:7233'"), ("127.0.0.1:7233 ", "'127.0.0.1:7233 '"),
     ("\t127.0.0.1:7233\n", "'\\t127.0.0.1:7233\\n'")],
)  # fmt: skip
def test_an_address_with_spaces_around_it_says_so(
    clean_env: Path, address: str, shown: str
) -> None:
    # a leading space read "127.0.0.1:7233 is not an address Temporal can connect to", naming
    # the address without it: the one the user would give to fix it
    for command in (["export", "-q", "WorkflowType='X'"], ["check", "--live", "-w", "m"]):
        result, _ = invoke(*command, "--address", address)
        assert_one_sentence(
            result,
            f"the address {shown} has spaces around it, and Temporal takes host:port alone; give "
            "127.0.0.1:7233 to --address (or TEMPORAL_ADDRESS, or the profile).",
        )
    result, _ = invoke("export", "-q", "WorkflowType='X'", env={"TEMPORAL_ADDRESS": address})
    assert_one_sentence(result, f"the address {shown} has spaces around it")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (PROFILES.encode("utf-16"), "is UTF-16 text; TOML must be UTF-8: re-save it as UTF-8."),
        (b"[profile.prod\naddress = 1\n", "cannot read it as TOML (Expected ']' at the end of a "),
    ],
    ids=["utf-16", "not-toml"],
)
def test_a_config_file_that_is_not_toml_says_so_not_to_check_the_profile(
    clean_env: Path, content: bytes, says: str
) -> None:
    # PowerShell's `>` writes UTF-16: it said "cannot load the Temporal client configuration
    # (Configuration loading error: invalid utf-8 sequence ...); check --profile, ...".
    clean_env.write_bytes(content)
    result, _ = invoke(*LIVE_COMMANDS["check"], "--profile", "prod")
    assert_one_sentence(result, f"replaycheck: error: {clean_env}: {says}")
    assert "check --profile" not in result.stderr


def test_a_config_file_with_a_byte_order_mark_is_read_as_temporal_reads_it(
    clean_env: Path,
) -> None:
    # temporalio reads it (TOML has no BOM, but its parser takes one): no error to give, and
    # a profile it lacks names those it has (it said "it holds no profiles").
    clean_env.write_bytes(b"\xef\xbb\xbf" + PROFILES.encode())
    assert resolve(ConnectionOptions(profile="prod")).address == "prod.example:7233"
    with pytest.raises(ConfigError) as caught:
        resolve(ConnectionOptions(profile="staging"))
    assert "has no profile 'staging' (its profiles are default, prod)" in str(caught.value)
