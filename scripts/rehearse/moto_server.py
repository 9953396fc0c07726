#!/usr/bin/env python3
"""moto's server on 127.0.0.1, in-process, with the few patches Berth's release rehearsal needs.

Usage: moto_server.py <port>

It prints `READY <port>` once the server listens, then reads one JSON command per line on stdin and answers
each with one JSON line on stdout (`{"ok": true, ...}` or `{"ok": false, "error": "..."}`). It stops when stdin
closes or on SIGTERM.

Patches (moto 5.2 does not do these things by itself):
- CloudFormation UpdateStack: UsePreviousValue works for a parameter left at its default; refuses a stack that is busy (*_IN_PROGRESS), as CloudFormation does; an update
  with a ClientRequestToken already used on the stack is not run twice; the token is stamped on the update's
  events; RoleARN is kept; the update then plays a scripted outcome (complete after N polls, roll back with a
  failed ECS service, roll back and fail, or never settle), one step per DescribeStacks call.
- ECS DescribeServices: the PRIMARY deployment's rolloutState and counts follow a script, one step per call
  (moto's UpdateService never starts a deployment).
- ECR DescribeImageScanFindings: scripted scan results per image digest, one per call (moto has no scan on
  push and one static result per image); BatchGetImage echoes the requested tag, as ECR does.

Commands:
  {"cmd": "ping"}
  {"cmd": "stack-outcome", "stack": S, "key": "ImageTag=<value>", "kind": "complete|rollback|rollback-failed|hang",
   "polls": N, "reason": "..."}
  {"cmd": "stack-busy", "stack": S, "polls": N, "status": "UPDATE_IN_PROGRESS"}
  {"cmd": "stack-status", "stack": S, "status": "..."}
  {"cmd": "service-script", "cluster": C, "service": S, "steps": [{...}]}
  {"cmd": "scan-script", "repository": R, "digest": D, "onPush": bool, "steps": [{...}]}
"""

import json
import signal
import sys
import threading
import uuid

from moto.cloudformation import models as cfn_models
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_without_milliseconds, utcnow
from moto.ecr import models as ecr_models
from moto.ecr.exceptions import ScanNotFoundException
from moto.ecs import models as ecs_models
from moto.server import ThreadedMotoServer

LOCK = threading.RLock()
LOCAL = threading.local()

# (stack name, "Param=value") -> outcome
OUTCOMES = {}
# stack id -> {"remaining": int | None, "final": str | None, "reason": str, "previous": dict, "token": str}
PENDING = {}
# (cluster, service) -> {"steps": [...], "i": int}
SERVICES = {}
# (repository, digest) -> {"steps": [...], "onPush": bool}
SCANS = {}


# ----------------------------------------------------------------------------------------------------------------
# CloudFormation
# ----------------------------------------------------------------------------------------------------------------

_orig_add_stack_event = cfn_models.Stack._add_stack_event


def _add_stack_event(self, resource_status, resource_status_reason=None, resource_properties=None):
    _orig_add_stack_event(self, resource_status, resource_status_reason, resource_properties)
    token = getattr(LOCAL, "token", None)
    if token:
        self.events[-1].client_request_token = token


cfn_models.Stack._add_stack_event = _add_stack_event


def _resource_event(stack, logical_id, resource_type, status, reason=None, token=None):
    event = cfn_models.Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=f"{logical_id}-{uuid.uuid4().hex[:8]}",
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    event.client_request_token = token
    stack.events.append(event)


def _stack_event(stack, status, reason=None, token=None):
    LOCAL.token = token
    try:
        stack._add_stack_event(status, resource_status_reason=reason)
    finally:
        LOCAL.token = None


def _params(stack):
    """The stack's resolved parameter values (what DescribeStacks shows)."""
    return dict(stack.resource_map.resolved_parameters)


def _input_params(stack):
    """The stack's parameters as given (an SSM-typed parameter keeps its parameter name)."""
    return {**stack.parameters, **(stack.resource_map.input_parameters or {})}


_orig_resolve_update_parameters = cfn_models.CloudFormationBackend._resolve_update_parameters


def _resolve_update_parameters(self, instance, incoming_params):
    """UsePreviousValue of a parameter the stack took from its template's default (moto raises KeyError)."""
    if not isinstance(instance, cfn_models.Stack):
        return _orig_resolve_update_parameters(self, instance, incoming_params)
    defaults = {k: (v or {}).get("Default") for k, v in (instance.template_dict.get("Parameters") or {}).items()}
    previous = {**instance.parameters, **(instance.resource_map.input_parameters or {})}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in incoming_params if "ParameterValue" in p}
    for p in incoming_params:
        if p.get("UsePreviousValue", False):
            key = p["ParameterKey"]
            parameters[key] = previous.get(key, defaults.get(key))
    return parameters


cfn_models.CloudFormationBackend._resolve_update_parameters = _resolve_update_parameters

_orig_update_stack = CloudFormationResponse.update_stack


def update_stack(self):
    with LOCK:
        name = self._get_param("StackName")
        token = self._get_param("ClientRequestToken")
        stack = self.cloudformation_backend.get_stack(name)
        if stack.status.endswith("_IN_PROGRESS"):
            raise ValidationError(
                stack.stack_id,
                message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.",
            )
        if token and any(getattr(e, "client_request_token", None) == token for e in stack.events):
            # CloudFormation treats a repeated token as the same request.
            return ActionResult({"StackId": stack.stack_id})
        previous = _params(stack)
        previous_input = _input_params(stack)
        LOCAL.token = token
        try:
            result = _orig_update_stack(self)
        finally:
            LOCAL.token = None
        stack.role_arn = self._get_param("RoleARN") or stack.role_arn
        current = _params(stack)
        changed = [f"{k}={v}" for k, v in current.items() if previous.get(k) != v]
        outcome = {"kind": "complete", "polls": 1}
        for key in changed:
            if (stack.name, key) in OUTCOMES:
                outcome = OUTCOMES[(stack.name, key)]
        # moto completed the update at once: play the outcome instead.
        if stack.events and stack.events[-1].resource_status == "UPDATE_COMPLETE":
            stack.events.pop()
        stack.status = "UPDATE_IN_PROGRESS"
        _resource_event(stack, "Service", "AWS::ECS::Service", "UPDATE_IN_PROGRESS", token=token)
        kind = outcome.get("kind", "complete")
        PENDING[stack.stack_id] = {
            "remaining": None if kind == "hang" else int(outcome.get("polls", 1)),
            "final": {
                "complete": "UPDATE_COMPLETE",
                "rollback": "UPDATE_ROLLBACK_COMPLETE",
                "rollback-failed": "UPDATE_ROLLBACK_FAILED",
            }.get(kind),
            "reason": outcome.get("reason", "ECS deployment failed"),
            "previous": previous_input,
            "token": token,
        }
        return result


CloudFormationResponse.update_stack = update_stack


def _tick(stack):
    pending = PENDING.get(stack.stack_id)
    if pending is None or pending["remaining"] is None:
        return
    pending["remaining"] -= 1
    if pending["remaining"] > 0:
        return
    del PENDING[stack.stack_id]
    token = pending["token"]
    final = pending["final"]
    if final == "UPDATE_COMPLETE":
        _resource_event(stack, "Service", "AWS::ECS::Service", "UPDATE_COMPLETE", token=token)
        _stack_event(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", token=token)
        _stack_event(stack, "UPDATE_COMPLETE", token=token)
        stack.status = "UPDATE_COMPLETE"
        return
    _resource_event(stack, "Service", "AWS::ECS::Service", "UPDATE_FAILED", reason=pending["reason"], token=token)
    _stack_event(
        stack,
        "UPDATE_ROLLBACK_IN_PROGRESS",
        reason="The following resource(s) failed to update: [Service].",
        token=token,
    )
    stack.resource_map.update(stack.template_dict, pending["previous"])
    _stack_event(stack, final, token=token)
    stack.status = final


_orig_describe_stacks = CloudFormationResponse.describe_stacks


def describe_stacks(self):
    with LOCK:
        name = self._get_param("StackName")
        if name:
            try:
                _tick(self.cloudformation_backend.get_stack(name))
            except ValidationError:
                pass
        return _orig_describe_stacks(self)


CloudFormationResponse.describe_stacks = describe_stacks


def _backend_stack(name):
    for backend in cfn_models.cloudformation_backends.values():
        for regional in backend.values():
            for stack in regional.stacks.values():
                if stack.name == name or stack.stack_id == name:
                    return stack
    raise KeyError(f"no stack {name}")


# ----------------------------------------------------------------------------------------------------------------
# ECS
# ----------------------------------------------------------------------------------------------------------------

_orig_describe_services = ecs_models.EC2ContainerServiceBackend.describe_services


def describe_services(self, cluster_str, service_names_or_arns):
    with LOCK:
        services, failures = _orig_describe_services(self, cluster_str, service_names_or_arns)
        for service in services:
            script = SERVICES.get((service.cluster_name, service.name))
            if script is None:
                continue
            step = script["steps"][min(script["i"], len(script["steps"]) - 1)]
            script["i"] += 1
            desired = int(step.get("desired", service.desired_count))
            running = int(step.get("running", desired))
            service.desired_count = desired
            service.running_count = running
            service.pending_count = max(0, desired - running)
            primary = dict(service.deployments[0]) if service.deployments else {}
            primary.update(
                {
                    "id": step.get("deployment", primary.get("id", "ecs-svc/rehearsal")),
                    "status": "PRIMARY",
                    "rolloutState": step.get("rolloutState", "COMPLETED"),
                    "rolloutStateReason": step.get("rolloutStateReason", ""),
                    "desiredCount": desired,
                    "runningCount": running,
                    "pendingCount": max(0, desired - running),
                    "failedTasks": int(step.get("failedTasks", 0)),
                    "taskDefinition": service.task_definition,
                    "updatedAt": utcnow(),
                }
            )
            others = [
                {
                    "id": f"ecs-svc/old-{n}",
                    "status": "ACTIVE",
                    "desiredCount": 0,
                    "runningCount": 1,
                    "pendingCount": 0,
                    "failedTasks": 0,
                    "rolloutState": "COMPLETED",
                    "taskDefinition": service.task_definition,
                    "createdAt": utcnow(),
                    "updatedAt": utcnow(),
                }
                for n in range(int(step.get("deployments", 1)) - 1)
            ]
            service.deployments = [primary, *others]
            if "events" in step:
                service.events = [
                    {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": m} for m in step["events"]
                ]
        return services, failures


ecs_models.EC2ContainerServiceBackend.describe_services = describe_services


# ----------------------------------------------------------------------------------------------------------------
# ECR
# ----------------------------------------------------------------------------------------------------------------

_orig_batch_get_image = ecr_models.ECRBackend.batch_get_image


def batch_get_image(self, repository_name, registry_id=None, image_ids=None):
    response = _orig_batch_get_image(self, repository_name, registry_id, image_ids)
    images = []
    for image_id in image_ids or []:
        for image in response["images"]:
            by_tag = "imageTag" in image_id and image_id["imageTag"] in image.image_tags
            by_digest = "imageDigest" in image_id and image_id["imageDigest"] == image.get_image_digest()
            if by_tag or by_digest:
                images.append(
                    {
                        "registryId": image.registry_id,
                        "repositoryName": repository_name,
                        "imageId": {
                            **({"imageTag": image_id["imageTag"]} if "imageTag" in image_id else {}),
                            "imageDigest": image.get_image_digest(),
                        },
                        "imageManifest": image.image_manifest,
                        "imageManifestMediaType": image.image_manifest_media_type,
                    }
                )
                break
    return {"images": images, "failures": response["failures"]}


ecr_models.ECRBackend.batch_get_image = batch_get_image

_orig_describe_findings = ecr_models.ECRBackend.describe_image_scan_findings


def describe_image_scan_findings(self, registry_id, repository_name, image_id):
    with LOCK:
        repo = self._get_repository(repository_name, registry_id)
        image = repo._get_image(image_id.get("imageTag"), image_id.get("imageDigest"))
        script = SCANS.get((repository_name, image.get_image_digest()))
        if script is None:
            return _orig_describe_findings(self, registry_id, repository_name, image_id)
        if image.last_scan is None and not script["onPush"]:
            raise ScanNotFoundException(
                image_id=json.dumps(image_id), repository_name=repository_name, registry_id=repo.registry_id
            )
        steps = script["steps"]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        findings = {}
        if step.get("status") in ("COMPLETE", "ACTIVE"):
            findings["imageScanCompletedAt"] = iso_8601_datetime_without_milliseconds(utcnow())
            counts = {}
            for f in step.get("findings", []) + step.get("enhancedFindings", []):
                counts[f.get("severity", "UNDEFINED")] = counts.get(f.get("severity", "UNDEFINED"), 0) + 1
            findings["findingSeverityCounts"] = counts
            if "enhancedFindings" in step:
                findings["enhancedFindings"] = step["enhancedFindings"]
            else:
                findings["findings"] = step.get("findings", [])
        return {
            "registryId": repo.registry_id,
            "repositoryName": repository_name,
            "imageId": {"imageDigest": image.get_image_digest()},
            "imageScanStatus": {"status": step["status"], "description": step.get("description", "")},
            "imageScanFindings": findings,
        }


ecr_models.ECRBackend.describe_image_scan_findings = describe_image_scan_findings


# ----------------------------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------------------------


def command(c):
    cmd = c.get("cmd")
    with LOCK:
        if cmd == "ping":
            return {}
        if cmd == "stack-outcome":
            OUTCOMES[(c["stack"], c["key"])] = {k: c[k] for k in ("kind", "polls", "reason") if k in c}
            return {}
        if cmd == "stack-busy":
            stack = _backend_stack(c["stack"])
            status = c.get("status", "UPDATE_IN_PROGRESS")
            _stack_event(stack, status, reason="User Initiated", token="cdk-deploy-rehearsal")
            stack.status = status
            PENDING[stack.stack_id] = {
                "remaining": int(c.get("polls", 1)),
                "final": "UPDATE_COMPLETE",
                "reason": "",
                "previous": _input_params(stack),
                "token": "cdk-deploy-rehearsal",
                "busy": True,
            }
            return {}
        if cmd == "stack-status":
            stack = _backend_stack(c["stack"])
            stack.status = c["status"]
            PENDING.pop(stack.stack_id, None)
            return {}
        if cmd == "service-script":
            SERVICES[(c["cluster"], c["service"])] = {"steps": list(c["steps"]), "i": 0}
            return {}
        if cmd == "scan-script":
            SCANS[(c["repository"], c["digest"])] = {"steps": list(c["steps"]), "onPush": bool(c.get("onPush"))}
            return {}
    raise ValueError(f"unknown command {cmd!r}")


def main():
    port = int(sys.argv[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    stopping = threading.Event()

    def stop(*_):
        if not stopping.is_set():
            stopping.set()
            server.stop()
            sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    print(f"READY {port}", flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            answer = {"ok": True, **command(json.loads(line))}
        except Exception as e:  # noqa: BLE001 - every failure is answered, never fatal
            answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)
    stop()


if __name__ == "__main__":
    main()
