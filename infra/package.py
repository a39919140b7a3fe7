"""`make package`: the deployable artifact for Lambda python3.13 on arm64, checked.

Chalice derives the Lambda runtime from the interpreter it runs on (3.11 here) and quietly builds
from source any dependency without a matching wheel, which would not run on Lambda. So this step:

1. downloads every runtime dependency as a binary wheel built for CPython 3.13 on
   manylinux aarch64 (`pip download --only-binary=:all:`) and unpacks them into `vendor/` of a
   staging copy of the app, which Chalice ships as it is, with an empty requirements file so
   Chalice builds nothing itself;
2. runs `chalice package --merge-template infra/resources.yaml` with the runtime set to
   python3.13 (and `lambda_architecture: arm64` from .chalice/config.json);
3. checks the result: the template's runtime and architecture, and every compiled file in the
   zip — an aarch64 ELF built for CPython 3.13 or the stable ABI, never for this host;
4. runs cfn-lint on the merged template.

    python -m infra.package [--stage prod] [--out out]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = "python3.13"
PY_VERSION = "3.13"
ARCHITECTURE = "arm64"
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
ELF_MACHINE_AARCH64 = 0xB7
APP_FILES = ("app.py", "chalicelib", ".chalice")


def stage_app(build: Path, *, vendor_from: Path | None) -> None:
    """A copy of the app as Chalice should see it: code, config, vendored wheels, no requirements."""
    if build.exists():
        shutil.rmtree(build)
    build.mkdir(parents=True)
    for name in APP_FILES:
        src = ROOT / name
        if src.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "deployed", "deployments")
            shutil.copytree(src, build / name, ignore=ignore)
        else:
            shutil.copy2(src, build / name)
    (build / "requirements.txt").write_text("# dependencies are vendored by infra/package.py\n")
    if vendor_from is not None:
        vendor = build / "vendor"
        vendor.mkdir()
        for wheel in sorted(vendor_from.glob("*.whl")):
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(vendor)


def host_platforms() -> tuple[str, ...]:
    """The manylinux tags of this machine's architecture: tests/artifact builds the same package
    for it, to run it here under CPython 3.13."""
    machine = platform.machine()
    return (f"manylinux2014_{machine}", f"manylinux_2_28_{machine}")


def download_wheels(dest: Path, platforms: tuple[str, ...] = PLATFORMS) -> None:
    """Every runtime dependency as a wheel for CPython 3.13 on Linux (aarch64 unless told)."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-qq", "--only-binary=:all:",
           "--implementation", "cp", "--python-version", PY_VERSION, "--abi", "cp313", "--abi", "abi3",
           "--abi", "none", "-r", str(ROOT / "requirements.txt"), "-d", str(dest)]
    for tag in platforms:
        cmd += ["--platform", tag]
    cmd += ["--platform", "any"]
    subprocess.run(cmd, check=True)


def chalice_package(build: Path, out: Path, stage: str) -> None:
    """Run `chalice package` in the staging copy with the Lambda runtime forced to python3.13."""
    if out.exists():
        shutil.rmtree(out)
    code = (
        "import sys\n"
        "from chalice import config\n"
        f"config.Config.lambda_python_version = property(lambda self: {RUNTIME!r})\n"
        "from chalice.cli import main\n"
        "sys.argv = ['chalice'] + sys.argv[1:]\n"
        "sys.exit(main())\n"
    )
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    subprocess.run(
        [sys.executable, "-c", code, "package", "--stage", stage, "--template-format", "yaml",
         "--merge-template", str(ROOT / "infra" / "resources.yaml"), str(out)],
        cwd=build, check=True, env=env)
    route_api_to_alias(out / "sam.yaml")


# The API function's SnapStart alias (infra/resources.yaml: `AutoPublishAlias: live`, whose
# AWS::Lambda::Alias SAM names <function>Alias<alias>). SnapStart serves published versions only.
API_ALIAS = "APIHandlerAliaslive"
_API_INTEGRATION = "/functions/${APIHandler.Arn}/invocations"


def route_api_to_alias(template_path: Path) -> None:
    """Point every REST API integration Chalice generated at the API function's alias instead
    of its unpublished $LATEST (which SnapStart never serves). Chalice writes one integration
    URI per route and method, so a merge template cannot reach them; this rewrites them all."""
    text = template_path.read_text()
    if _API_INTEGRATION not in text:
        raise RuntimeError(f"no API integration naming {_API_INTEGRATION} in {template_path}")
    template_path.write_text(text.replace(_API_INTEGRATION, "/functions/${" + API_ALIAS + "}/invocations"))


def load_sam(out: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((out / "sam.yaml").read_text())
    return loaded


def check_template(template: dict[str, Any]) -> list[str]:
    """Problems with the functions' runtime and architecture."""
    problems = []
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        if props.get("Runtime") != RUNTIME:
            problems.append(f"{name}: runtime {props.get('Runtime')} (want {RUNTIME})")
        if props.get("Architectures") != [ARCHITECTURE]:
            problems.append(f"{name}: architectures {props.get('Architectures')} (want [{ARCHITECTURE}])")
    return problems


def check_zip(zip_path: Path) -> list[str]:
    """Problems with compiled files in the deployment zip: each must be an aarch64 ELF for
    CPython 3.13 (or the stable ABI), never built for this host."""
    problems = []
    host_tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = info.filename
            if not name.endswith(".so") and ".so." not in name:
                continue
            head = zf.read(name)[:20]
            if head[:4] != b"\x7fELF":
                problems.append(f"{name}: not an ELF file")
                continue
            machine = int.from_bytes(head[18:20], "little")
            if machine != ELF_MACHINE_AARCH64:
                problems.append(f"{name}: ELF machine {machine:#x}, not aarch64")
            if host_tag != "cpython-313" and host_tag in name:
                problems.append(f"{name}: built for this host's {host_tag}")
            if "cpython-3" in name and "cpython-313" not in name:
                problems.append(f"{name}: built for another CPython")
    return problems


def cfn_lint(template_path: Path) -> None:
    subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(template_path)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--out", default=str(ROOT / "out"))
    args = parser.parse_args()
    out_root = Path(args.out)
    wheels, build, out = out_root / "wheels", out_root / "build", out_root / "package"
    print(f"Downloading wheels for {RUNTIME} {ARCHITECTURE} into {wheels}", flush=True)
    download_wheels(wheels)
    stage_app(build, vendor_from=wheels)
    print("Running chalice package --merge-template infra/resources.yaml", flush=True)
    chalice_package(build, out, args.stage)
    problems = check_template(load_sam(out)) + check_zip(out / "deployment.zip")
    if problems:
        print("The package is not deployable:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    cfn_lint(out / "sam.yaml")
    size = (out / "deployment.zip").stat().st_size / 1e6
    print(f"OK: {out}/sam.yaml and deployment.zip ({size:.1f} MB) for {RUNTIME} on {ARCHITECTURE}; "
          "cfn-lint clean.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
