"""CloudWatch Logs operations over :class:`LogsModel`."""

from __future__ import annotations

from typing import Any

from ..protocol.errors import AWSError
from ..protocol.json11 import JsonService, required
from .models import LogGroup, LogsModel, LogStream

TARGET = "Logs_20140328"
MAX_EVENTS = 10_000


def _group_view(group: LogGroup) -> dict[str, Any]:
    view: dict[str, Any] = {"logGroupName": group.name, "creationTime": group.creationTime, "arn": group.arn,
                            "logGroupArn": group.arn.removesuffix(":*"), "metricFilterCount": 0,
                            "storedBytes": sum(len(e.message) for s in group.streams.values() for e in s.events)}
    if group.retentionInDays is not None:
        view["retentionInDays"] = group.retentionInDays
    return view


def _stream_view(group: LogGroup, stream: LogStream) -> dict[str, Any]:
    view: dict[str, Any] = {"logStreamName": stream.name, "creationTime": stream.creationTime,
                            "arn": group.arn.removesuffix("*") + f"log-stream:{stream.name}", "storedBytes": 0}
    if stream.events:
        view |= {"firstEventTimestamp": stream.events[0].timestamp, "lastEventTimestamp": stream.events[-1].timestamp,
                 "lastIngestionTime": stream.events[-1].ingestionTime}
    return view


def _page(items: list[Any], token: str | None, limit: int) -> tuple[list[Any], str | None]:
    start = int(token) if token and token.isdigit() else 0
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else None)


def _with_token(result: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token:
        result["nextToken"] = token
    return result


def _position(token: str | None, prefix: str) -> int | None:
    if not token:
        return None
    if not token.startswith(prefix + "/") or not token[2:].isdigit():
        raise AWSError("InvalidParameterException", "The specified nextToken is invalid.")
    return int(token[2:])


class LogsAPI:
    """The operations, bound to one model."""

    def __init__(self, model: LogsModel) -> None:
        self.model = model

    def service(self) -> JsonService:
        """The JSON 1.1 dispatcher for these operations."""
        ops = {"CreateLogGroup": self.create_log_group, "DeleteLogGroup": self.delete_log_group,
               "DescribeLogGroups": self.describe_log_groups, "CreateLogStream": self.create_log_stream,
               "DeleteLogStream": self.delete_log_stream, "DescribeLogStreams": self.describe_log_streams,
               "PutLogEvents": self.put_log_events, "GetLogEvents": self.get_log_events,
               "FilterLogEvents": self.filter_log_events, "PutRetentionPolicy": self.put_retention_policy,
               "DeleteRetentionPolicy": self.delete_retention_policy, "TagLogGroup": self.tag_log_group,
               "ListTagsLogGroup": self.list_tags_log_group, "TagResource": self.tag_resource,
               "ListTagsForResource": self.list_tags_for_resource, "UntagResource": self.untag_resource}
        return JsonService(TARGET, ops)

    def create_log_group(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.create_group(region, required(body, "logGroupName"), body.get("tags"))
        return {}

    def delete_log_group(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.delete_group(region, required(body, "logGroupName"))
        return {}

    def describe_log_groups(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        prefix = body.get("logGroupNamePrefix", "")
        groups = sorted((g for (r, n), g in self.model.groups.items() if r == region and n.startswith(prefix)),
                        key=lambda g: g.name)
        page, token = _page(groups, body.get("nextToken"), int(body.get("limit", 50)))
        return _with_token({"logGroups": [_group_view(g) for g in page]}, token)

    def create_log_stream(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.create_stream(region, required(body, "logGroupName"), required(body, "logStreamName"))
        return {}

    def delete_log_stream(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.delete_stream(region, required(body, "logGroupName"), required(body, "logStreamName"))
        return {}

    def describe_log_streams(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        group = self.model.group(region, required(body, "logGroupName"))
        prefix = body.get("logStreamNamePrefix", "")
        streams = [s for s in group.streams.values() if s.name.startswith(prefix)]
        if body.get("orderBy") == "LastEventTime":
            streams.sort(key=lambda s: s.events[-1].timestamp if s.events else 0)
        else:
            streams.sort(key=lambda s: s.name)
        if body.get("descending"):
            streams.reverse()
        page, token = _page(streams, body.get("nextToken"), int(body.get("limit", 50)))
        return _with_token({"logStreams": [_stream_view(group, s) for s in page]}, token)

    def put_log_events(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        events = body.get("logEvents") or []
        if not events:
            raise AWSError("InvalidParameterException", "logEvents must not be empty")
        parsed = [(int(e["timestamp"]), str(e["message"])) for e in events]
        group, stream = required(body, "logGroupName"), required(body, "logStreamName")
        self.model.put(region, group, stream, parsed)
        return {"nextSequenceToken": str(self.model.stream(region, group, stream).uploadSequence).zfill(56)}

    def get_log_events(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        stream = self.model.stream(region, required(body, "logGroupName"), required(body, "logStreamName"))
        limit = min(int(body.get("limit", MAX_EVENTS)), MAX_EVENTS)
        start, end = body.get("startTime"), body.get("endTime")
        indexed = [(i, e) for i, e in enumerate(stream.events)
                   if (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)]
        forward, backward = _position(body.get("nextToken"), "f"), None
        token = body.get("nextToken") or ""
        if token.startswith("b/"):
            backward = _position(token, "b")
        if forward is not None:
            chosen = [(i, e) for i, e in indexed if i >= forward][:limit]
        elif backward is not None:
            chosen = [(i, e) for i, e in indexed if i < backward][-limit:]
        elif body.get("startFromHead"):
            chosen = indexed[:limit]
        else:
            chosen = indexed[-limit:]
        first = chosen[0][0] if chosen else (forward if forward is not None else len(stream.events))
        after = chosen[-1][0] + 1 if chosen else first
        return {"events": [{"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestionTime}
                           for _, e in chosen],
                "nextForwardToken": f"f/{after:056d}", "nextBackwardToken": f"b/{first:056d}"}

    def filter_log_events(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        group = self.model.group(region, required(body, "logGroupName"))
        names = body.get("logStreamNames")
        prefix = body.get("logStreamNamePrefix", "")
        pattern = (body.get("filterPattern") or "").strip().strip('"')
        start, end = body.get("startTime"), body.get("endTime")
        events = []
        for stream in group.streams.values():
            if (names and stream.name not in names) or not stream.name.startswith(prefix):
                continue
            for index, e in enumerate(stream.events):
                if (start is not None and e.timestamp < start) or (end is not None and e.timestamp > end):
                    continue
                if pattern and pattern not in e.message:
                    continue
                events.append({"logStreamName": stream.name, "timestamp": e.timestamp, "message": e.message,
                               "ingestionTime": e.ingestionTime, "eventId": f"{e.timestamp}-{stream.name}-{index}"})
        events.sort(key=lambda e: (e["timestamp"], e["eventId"]))
        page, token = _page(events, body.get("nextToken"), min(int(body.get("limit", MAX_EVENTS)), MAX_EVENTS))
        searched = [{"logStreamName": s.name, "searchedCompletely": True} for s in group.streams.values()]
        return _with_token({"events": page, "searchedLogStreams": searched}, token)

    def put_retention_policy(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.group(region, required(body, "logGroupName")).retentionInDays = int(required(body, "retentionInDays"))
        return {}

    def delete_retention_policy(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.group(region, required(body, "logGroupName")).retentionInDays = None
        return {}

    def tag_log_group(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self.model.group(region, required(body, "logGroupName")).tags.update(body.get("tags") or {})
        return {}

    def list_tags_log_group(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        return {"tags": dict(self.model.group(region, required(body, "logGroupName")).tags)}

    def _group_by_arn(self, resource_arn: str, region: str) -> LogGroup:
        name = resource_arn.split(":log-group:", 1)[-1].removesuffix(":*")
        return self.model.group(region, name)

    def tag_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        self._group_by_arn(required(body, "resourceArn"), region).tags.update(body.get("tags") or {})
        return {}

    def untag_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        group = self._group_by_arn(required(body, "resourceArn"), region)
        for key in body.get("tagKeys") or []:
            group.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        return {"tags": dict(self._group_by_arn(required(body, "resourceArn"), region).tags)}
