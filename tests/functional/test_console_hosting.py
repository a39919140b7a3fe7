"""The console's hosting (issue 7 item 4, issue 11): published to the stage's bucket with its
config, served through CloudFront (private bucket, origin access control) with the security
headers and CSP, and the same headers from the local console server."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack import console_server
from infra import console_headers, publish_console
from infra.provision import load_template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    found: dict[str, Any] = load_template()["Resources"]
    return found


def directives(csp: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in csp.split(";")) if d}


# -- CloudFront ----------------------------------------------------------------------------------

def test_cloudfront_sends_the_headers_of_the_one_definition(resources):
    config = resources["ConsoleHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    prod_csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    expected = directives(console_headers.content_security_policy([]))
    got = directives(prod_csp)
    connect = got.pop("connect-src").split()
    expected.pop("connect-src")
    assert got == expected
    assert connect == ["'self'", "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
                       "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}",
                       "https://${UploadsBucket.RegionalDomainName}", "https://${UploadsBucket.DomainName}",
                       "https://${ReceiptsBucket.RegionalDomainName}", "https://${ReceiptsBucket.DomainName}"]
    headers = console_headers.security_headers([])
    hsts = security["StrictTransportSecurity"]
    assert headers["Strict-Transport-Security"] == (
        f"max-age={hsts['AccessControlMaxAgeSec']}; includeSubDomains" if hsts["IncludeSubdomains"] else "")
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"]["FrameOption"] == headers["X-Frame-Options"]
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == headers["Referrer-Policy"]
    custom = {i["Header"]: i["Value"] for i in config["CustomHeadersConfig"]["Items"]}
    assert custom == {"Permissions-Policy": headers["Permissions-Policy"],
                      "Cross-Origin-Opener-Policy": headers["Cross-Origin-Opener-Policy"]}
    assert all(v.get("Override", True) for v in security.values())


def test_the_console_bucket_is_private_and_read_only_by_its_distribution(resources):
    bucket = resources["ConsoleBucket"]["Properties"]
    assert "WebsiteConfiguration" not in bucket
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    distribution = resources["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = distribution["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["ConsoleBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    behaviour = distribution["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeadersPolicy"}
    allow = [s for s in resources["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
             if s["Effect"] == "Allow"]
    assert allow == [{
        "Sid": "CloudFrontReadsTheConsole", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${ConsoleBucket.Arn}/*"},
        "Condition": {"StringEquals": {"AWS:SourceArn": {"Fn::Sub": (
            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${ConsoleDistribution}")}}}}]


def test_the_console_needs_no_inline_script_or_style():
    """What makes script-src/style-src 'self' hold: no inline <script>/<style>, no style= or on…=
    attribute in the HTML, no setAttribute('style'/'on…'), no eval or Function in the scripts.
    (js/dom.js sets `style` through the CSSOM, Object.assign(node.style, …), which CSP allows.)"""
    html = (ROOT / "console" / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html)
    for path in (ROOT / "console" / "js").rglob("*.js"):
        text = path.read_text()
        assert not re.search(r"setAttribute\(\s*[\"'](style|on[a-z]+)[\"']|\beval\(|new Function\(",
                             text), path


# -- the publisher, against moto ---------------------------------------------------------------

def prod_like_stack(cloudformation: Any, console_bucket: str) -> str:
    """A stack whose outputs are those a deployed stage has (moto cannot run Chalice's template)."""
    template = {"Resources": {"Marker": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "publish-marker"}}},
                "Outputs": {
                    "EndpointURL": {"Value": "https://abc123.execute-api.sa-east-1.amazonaws.com/v1/"},
                    "ConsoleBucketName": {"Value": console_bucket},
                    "CognitoUserPoolId": {"Value": "sa-east-1_TEST"},
                    "CognitoClientId": {"Value": "client-test"}}}
    cloudformation.create_stack(StackName="sem-prod", TemplateBody=json.dumps(template))
    return "sem-prod"


def test_publish_uploads_the_console_and_the_stages_config(stack):
    cloudformation, s3 = boto3.client("cloudformation"), boto3.client("s3")
    bucket = stack["outputs"]["ConsoleBucketName"]
    s3.put_object(Bucket=bucket, Key="js/old-page.js", Body=b"stale")
    name = prod_like_stack(cloudformation, bucket)

    published = publish_console.publish_stage(cloudformation, s3, stage="prod", stack_name=name,
                                              region="sa-east-1", env={})

    assert published.removed == ["js/old-page.js"]
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    expected = {p.relative_to(ROOT / "console").as_posix() for p in (ROOT / "console").rglob("*") if p.is_file()}
    assert listed == expected - {"README.md"} | {"config.js"}
    config = s3.get_object(Bucket=bucket, Key="config.js")
    text = config["Body"].read().decode()
    assert text.startswith("window.SEM_CONFIG = ")
    assert json.loads(text.removeprefix("window.SEM_CONFIG = ").rstrip().rstrip(";")) == {
        "apiUrl": "https://abc123.execute-api.sa-east-1.amazonaws.com/v1", "stage": "prod", "region": "sa-east-1",
        "cognitoEndpoint": "https://cognito-idp.sa-east-1.amazonaws.com/", "userPoolId": "sa-east-1_TEST",
        "clientId": "client-test"}
    assert config["ContentType"] == "text/javascript; charset=utf-8"
    assert config["CacheControl"] == "no-store"
    for key, kind in {"index.html": "text/html; charset=utf-8", "js/main.js": "text/javascript; charset=utf-8",
                      "css/console.css": "text/css; charset=utf-8", "img/favicon.svg": "image/svg+xml"}.items():
        head = s3.head_object(Bucket=bucket, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (kind, "no-cache"), key
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == (ROOT / "console/index.html").read_bytes()


def test_publish_refuses_a_stack_without_the_cognito_settings(stack):
    cloudformation = boto3.client("cloudformation")
    template = {"Resources": {"Marker": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "m2"}}},
                "Outputs": {"EndpointURL": {"Value": "https://x.example/v1/"}, "ConsoleBucketName": {"Value": "b"}}}
    cloudformation.create_stack(StackName="sem-bare", TemplateBody=json.dumps(template))
    with pytest.raises(ValueError, match="user pool id, app client id"):
        publish_console.publish_stage(cloudformation, boto3.client("s3"), stage="prod", stack_name="sem-bare",
                                      region="sa-east-1", env={})


def test_a_file_of_unknown_kind_is_not_published(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "data.bin").write_bytes(b"\0")
    with pytest.raises(ValueError, match=r"data\.bin"):
        publish_console.publish(object(), "bucket", {}, tmp_path)


# -- the local console server ------------------------------------------------------------------

@pytest.fixture
def local_console(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SEM_PUBLIC_API_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    server = console_server.make_server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/", "/index.html", "/js/main.js", "/css/console.css", "/config.js"])
def test_the_local_console_sends_the_security_headers(local_console, path):
    with urllib.request.urlopen(local_console + path, timeout=5) as response:  # noqa: S310 - loopback
        headers = response.headers
    expected = console_headers.security_headers(["http://127.0.0.1:8000", "http://127.0.0.1:5000"])
    for name, value in expected.items():
        assert headers[name] == value, name
    csp = directives(headers["Content-Security-Policy"])
    assert csp["connect-src"] == "'self' http://127.0.0.1:8000 http://127.0.0.1:5000"
    assert csp["frame-ancestors"] == "'none'"
    if path == "/config.js":
        assert headers["Cache-Control"] == "no-store"
        assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    else:
        assert headers["Cache-Control"] == "no-cache"
