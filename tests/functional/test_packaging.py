"""The production template: `chalice package --merge-template infra/resources.yaml`, linted by
cfn-lint, for python3.13 on arm64. (The full `make package` also vendors and checks the
aarch64 wheels; here the dependencies are left out so the test stays fast and offline.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from infra import package


def test_merged_template_is_cfn_lint_clean_and_targets_python313_arm64(tmp_path):
    build, out = tmp_path / "build", tmp_path / "out"
    package.stage_app(build, vendor_from=None)
    package.chalice_package(build, out, "prod")
    template = package.load_sam(out)
    assert package.check_template(template) == []
    resources = template["Resources"]
    assert resources["HandleReceiptJob"]["Properties"]["Environment"]["Variables"]["SEM_TABLE_NAME"] == {
        "Ref": "DataTable"}
    assert resources["HandleReceiptJob"]["Properties"]["Events"]["HandleReceiptJobSqsEventSource"][
        "Properties"]["BatchSize"] == 1
    assert "Type" in resources["ApiHandlerRole"], "the role overlay must merge into Chalice's role"
    # SnapStart (docs/performance.md): the API's published versions are snapshotted, and API
    # Gateway invokes them through the alias, never $LATEST (which SnapStart does not serve).
    api = resources["APIHandler"]["Properties"]
    assert api["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert api["AutoPublishAlias"] == "live"
    assert resources["APIHandlerInvokePermission"]["Properties"]["FunctionName"] == {"Ref": package.API_ALIAS}
    integrations = [method["x-amazon-apigateway-integration"]
                    for path in resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"].values()
                    for method in path.values() if "x-amazon-apigateway-integration" in method]
    uris = [i["uri"]["Fn::Sub"] for i in integrations if i["type"] == "aws_proxy"]  # (CORS preflights: mock)
    assert len(uris) > 50
    assert all(f"/functions/${{{package.API_ALIAS}}}/invocations" in uri for uri in uris), uris
    lint = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(out / "sam.yaml")],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_zip_check_refuses_host_built_binaries(tmp_path):
    import zipfile

    zpath = tmp_path / "bad.zip"
    x86_elf = b"\x7fELF" + b"\x02\x01\x01" + b"\x00" * 11 + (0x3E).to_bytes(2, "little")
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so", x86_elf)
    problems = package.check_zip(zpath)
    assert any("not aarch64" in p for p in problems)
    assert any("cpython-311" in p for p in problems)


def test_importing_app_loads_no_heavy_module():
    code = ("import sys, app; heavy = ('reportlab', 'pyhanko', 'zeep', 'lxml', 'jinja2', 'cryptography', 'boto3',"
            " 'botocore.client', 'authlib', 'jwt', 'moto', 'requests');"
            " print(','.join(m for m in heavy if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], check=True)
    assert result.stdout.strip() == ""
