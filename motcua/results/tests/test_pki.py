"""The development PKI (made once, keys encrypted at rest, proper certificate extensions), real certificates
plugged in by configuration, and a signing failure that never breaks the dossier's transition."""

from __future__ import annotations

import stat
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import call_command
from django.utils import timezone

from motcua.audit.models import AuditRecord
from motcua.results import pki, services
from motcua.results.models import EResult, IssueJob, JobStatus
from motcua.results.tests.helpers import make_ca, make_leaf, pdf_bytes


@pytest.fixture
def fresh_pki(settings, tmp_path):
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    pki.forget_identities()
    return tmp_path / "pki"


def test_setup_dev_pki_is_idempotent_and_keeps_keys_encrypted_and_private(fresh_pki, capsys):
    # given: nothing yet
    # when: the command runs twice
    call_command("setup_dev_pki")
    first = pki.root_fingerprint()
    call_command("setup_dev_pki")
    # then: one root, the same; the passphrase and the key are readable by the owner only, the key encrypted
    assert pki.root_fingerprint() == first
    assert first in capsys.readouterr().out
    cert_path, key_path = pki.root_paths()
    passphrase = fresh_pki / "passphrase"
    for path in (passphrase, key_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(fresh_pki.stat().st_mode) == 0o700
    pem = key_path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # no password: refused
        serialization.load_pem_private_key(pem, None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(pem, b"wrong passphrase")
    serialization.load_pem_private_key(pem, passphrase.read_bytes().strip())
    root = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert root.subject.rfc4514_string().startswith("CN=motcua Development Root CA")
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_an_agency_certificate_is_made_on_first_use_with_document_signing_extensions(rworld, fresh_pki):
    # given: no certificate for the commune yet
    cert_path = fresh_pki / "agencies" / rworld.commune.code / "cert.pem"
    assert not cert_path.exists()
    # when: it signs its first result
    rworld.birth_result()
    # then
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    root = x509.load_pem_x509_certificate(pki.root_paths()[0].read_bytes())
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku and pki.DOCUMENT_SIGNING in eku
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    assert aki == root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.key_identifier
    assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert cert.issuer == root.subject
    assert cert.not_valid_before_utc < timezone.now() < cert.not_valid_after_utc
    assert timedelta(days=365) < cert.not_valid_after_utc - timezone.now() < timedelta(days=3 * 365 + 2)
    assert rworld.commune.code in cert.subject.rfc4514_string()
    key = (fresh_pki / "agencies" / rworld.commune.code / "key.pem").read_bytes()
    assert key.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    # and the key material is nowhere in the database
    row = EResult.objects.get(dossier__agency=rworld.commune)
    assert "PRIVATE" not in str(row.content) and row.signer_source == "dev"


def test_a_configured_certificate_signs_instead_of_the_dev_pki(rworld, settings, tmp_path):
    # given: the commune's real certificate from another CA, as PKCS#12 with a passphrase file
    ca = make_ca("Tổ chức chứng thực thử nghiệm")
    leaf = make_leaf(ca, rworld.commune.name)
    secret = tmp_path / "p12-pass"
    secret.write_bytes(b"mat-khau-p12\n")
    p12 = tmp_path / "commune.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"commune", leaf.key, leaf.cert, [ca.cert], serialization.BestAvailableEncryption(b"mat-khau-p12")
        )
    )
    ca_path, _ = ca.write(tmp_path, "ca")
    settings.MOTCUA_SIGNING_KEYS = {rworld.commune.code: {"pkcs12": str(p12), "passphrase_file": str(secret)}}
    settings.MOTCUA_SIGNING_TRUST_ROOTS = [str(ca_path)]
    pki.forget_identities()
    # when
    result = EResult.objects.get(dossier=rworld.birth_result())
    # then: signed with that certificate, and verified against its root
    assert result.signer_source == "configured"
    assert result.signer_fingerprint == leaf.cert.fingerprint(pki.hashes.SHA256()).hex()
    assert services.verify(pdf_bytes(result)).status == "valid"
    # and with that root no longer trusted, the same file is not accepted as ours
    settings.MOTCUA_SIGNING_TRUST_ROOTS = []
    assert services.verify(pdf_bytes(result)).status == "tampered"


def test_a_configured_pem_key_with_chain_and_passphrase_file(rworld, settings, tmp_path):
    ca = make_ca("CA PEM")
    leaf = make_leaf(ca, "Ký số UBND")
    ca_path, _ = ca.write(tmp_path, "ca")
    cert_path, key_path = leaf.write(tmp_path, "leaf", passphrase=b"bi-mat")
    (tmp_path / "pass").write_text("bi-mat\n")
    entry = {"cert": str(cert_path), "key": str(key_path), "chain": [str(ca_path)]}
    settings.MOTCUA_SIGNING_KEYS = {"*": {**entry, "passphrase_file": str(tmp_path / "pass")}}
    settings.MOTCUA_SIGNING_TRUST_ROOTS = [str(ca_path)]
    pki.forget_identities()
    result = EResult.objects.get(dossier=rworld.birth_result())
    assert "Ký số UBND" in result.signer_subject
    assert services.verify(pdf_bytes(result)).status == "valid"


def test_a_signing_failure_keeps_the_transition_records_the_failure_and_the_worker_issues_later(rworld, settings):
    # given: production mode without any certificate for the commune
    settings.MOTCUA_DEV_PKI = False
    pki.forget_identities()
    # when: the leader approves
    dossier = rworld.birth_result()
    # then: the dossier's result is ready all the same; the e-result waits, with the reason
    assert dossier.status == "result_ready"
    assert not EResult.objects.filter(dossier=dossier).exists()
    job = IssueJob.objects.get(dossier=dossier)
    assert job.status == JobStatus.PENDING and job.attempts == 1
    assert "Chưa cấu hình chứng thư số" in job.last_error
    assert AuditRecord.objects.filter(action="result.issue_failed", object_id=dossier.code).count() == 1
    assert job.next_attempt_at > timezone.now()
    # when: the worker's round comes before the back-off, nothing is tried
    assert services.retry_due() == {"issued": 0, "failed": 0}
    # when: the certificate problem is fixed and the round is due
    settings.MOTCUA_DEV_PKI = True
    counts = services.retry_due(now=job.next_attempt_at + timedelta(seconds=1))
    # then
    assert counts == {"issued": 1, "failed": 0}
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.result is not None and job.last_error == ""
    assert services.verify(pdf_bytes(job.result)).status == "valid"


def test_a_job_gives_up_after_the_last_attempt_and_an_operator_requeues_it(rworld, settings):
    settings.MOTCUA_DEV_PKI = False
    pki.forget_identities()
    dossier = rworld.birth_result()
    job = IssueJob.objects.get(dossier=dossier)
    IssueJob.objects.filter(pk=job.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    services.process(dossier.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    settings.MOTCUA_DEV_PKI = True
    call_command("issue_results", "--retry-failed")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
