"""Lambda through boto3: image functions whose process speaks the real Runtime API."""

from __future__ import annotations

import base64
import json
import sys
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

RUNTIME = Path(__file__).parent / "fixtures" / "runtime_loop.py"


def create(sim, **overrides) -> str:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lam = sim.client("lambda")
    lam.create_function(FunctionName=name, PackageType="Image", Code={"ImageUri": "127.0.0.1:1/fn:latest"},
                        Role="arn:aws:iam::123456789012:role/fn", Timeout=overrides.pop("Timeout", 3),
                        ImageConfig={"Command": [sys.executable, str(RUNTIME)]},
                        Environment={"Variables": {"GREETING": "hello"}}, **overrides)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def invoke(sim, name: str, event: dict, **kwargs):
    response = sim.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kwargs)
    return response, json.loads(response["Payload"].read() or b"null")


def test_sync_invoke_returns_the_payload_and_tail_logs(sim) -> None:
    name = create(sim)
    response, body = invoke(sim, name, {"n": 1}, LogType="Tail")
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert body == {"echo": {"n": 1}, "greeting": "hello", "function": name}
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "START RequestId:" in tail and "handling {'n': 1}" in tail and "REPORT RequestId:" in tail
    _, again = invoke(sim, name, {"n": 2})
    assert again["echo"] == {"n": 2}


def test_a_sandbox_takes_an_invocation_only_once_its_runtime_asks(sim) -> None:
    name = create(sim, Timeout=10)
    _, first = invoke(sim, name, {"linger": 3})
    began = time.monotonic()
    _, second = invoke(sim, name, {"linger": 3})
    assert time.monotonic() - began < 2.5  # not queued behind the first sandbox's runtime, which is still busy
    assert second["pid"] != first["pid"]
    sim.client("lambda").delete_function(FunctionName=name)


def test_handler_error_is_function_error(sim) -> None:
    response, body = invoke(sim, create(sim), {"fail": "bad input"})
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorMessage": "bad input", "errorType": "ValueError"}


def test_timeout_and_runtime_exit(sim) -> None:
    name = create(sim, Timeout=1)
    response, body = invoke(sim, name, {"sleep": 5})
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    response, body = invoke(sim, name, {"exit": 4})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError" and "exit status 4" in body["errorMessage"]
    response, body = invoke(sim, name, {"n": 3})
    assert "FunctionError" not in response and body["echo"] == {"n": 3}


def test_async_invoke_runs_and_logs(sim, wait_for) -> None:
    name = create(sim)
    response = sim.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b'{"async": true}')
    assert response["StatusCode"] == 202
    logs = sim.client("logs")

    def logged() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="handling")["events"]
        except ClientError:
            return False
        return any("'async': True" in e["message"] for e in events)

    wait_for(logged)


def test_function_crud_and_errors(sim) -> None:
    lam = sim.client("lambda")
    name = create(sim, Tags={"sockerless": "1"})
    function = lam.get_function(FunctionName=name)
    assert function["Configuration"]["PackageType"] == "Image" and function["Code"]["RepositoryType"] == "ECR"
    assert function["Tags"] == {"sockerless": "1"}
    assert lam.list_tags(Resource=function["Configuration"]["FunctionArn"])["Tags"] == {"sockerless": "1"}
    updated = lam.update_function_configuration(FunctionName=name, Timeout=9)
    assert updated["Timeout"] == 9
    assert name in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=name)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="zip", Runtime="python3.12", Role="arn:aws:iam::1:role/x",
                            Handler="h", Code={"ZipFile": b"PK"})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
