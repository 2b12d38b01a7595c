"""Every create, change and delete of the models that decide who sees what, with the fields
changed (old → new), written to the audit trail by model signals in the transaction of the save.

One mechanism for every path that saves a model (the admin, services, import-export, the shell):
each app registers its models in its ``AppConfig.ready`` with ``audited_model_register``. The
actor is the person whose request is being handled (core.audit_context), or the system.
Bulk ``QuerySet.update()`` bypasses signals; the audited models are not changed that way except
by services that write their own audit event (e.g. invitations replaced by a new one).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from .services import audit_record

CREATED, CHANGED, DELETED = "created", "changed", "deleted"
# Shown instead of the value of a secret field (a password hash): that it changed, not to what.
HIDDEN = "(hidden)"


@dataclass(frozen=True)
class _Audited:
    name: str
    fields: tuple[str, ...]
    hidden: frozenset[str]
    m2m: tuple[str, ...]
    events: frozenset[str] = field(default_factory=lambda: frozenset({CREATED, CHANGED, DELETED}))


_registry: dict[type[models.Model], _Audited] = {}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _values(instance: models.Model, spec: _Audited) -> dict[str, Any]:
    out = {}
    for name in spec.fields:
        model_field = instance._meta.get_field(name)
        out[name] = _jsonable(getattr(instance, model_field.attname))
    return out


def _shown(name: str, value: Any, spec: _Audited) -> Any:
    return HIDDEN if name in spec.hidden and value not in (None, "") else value


def audited_model_register(
    model: type[models.Model],
    *,
    name: str,
    fields: tuple[str, ...] | None = None,
    exclude: tuple[str, ...] = (),
    hidden: tuple[str, ...] = (),
    m2m: tuple[str, ...] = (),
    events: tuple[str, ...] = (CREATED, CHANGED, DELETED),
) -> None:
    """Audit every create, change and delete of ``model`` as ``<name>.created|changed|deleted``.

    ``fields`` (default: every concrete field but the primary key and ``exclude``) are compared
    old → new; ``hidden`` ones are recorded as changed without their values; ``m2m`` are
    many-to-many fields whose additions and removals are recorded.
    """
    if fields is None:
        fields = tuple(
            f.name
            for f in model._meta.concrete_fields
            if not f.primary_key and f.name not in exclude
        )
    spec = _Audited(
        name=name,
        fields=fields,
        hidden=frozenset(hidden),
        m2m=m2m,
        events=frozenset(events),
    )
    _registry[model] = spec
    uid = f"core.audit_changes.{model._meta.label_lower}"
    pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}.pre")
    post_save.connect(_after_save, sender=model, dispatch_uid=f"{uid}.post")
    post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}.delete")
    for m2m_name in m2m:
        through = model._meta.get_field(m2m_name).remote_field.through
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"{uid}.{m2m_name}")


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    spec = _registry[sender]
    instance._audit_before = None  # type: ignore[attr-defined]
    if instance.pk is None or kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    wanted = spec.fields
    if update_fields is not None:
        wanted = tuple(f for f in spec.fields if f in update_fields)
        if not wanted:
            return  # e.g. last_login at sign-in: nothing audited changes
    attnames = [sender._meta.get_field(f).attname for f in wanted]
    row = sender._default_manager.filter(pk=instance.pk).values(*attnames).first()
    if row is not None:
        instance._audit_before = {  # type: ignore[attr-defined]
            f: _jsonable(row[a]) for f, a in zip(wanted, attnames, strict=True)
        }


def _after_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    spec = _registry[sender]
    if kwargs.get("raw"):
        return
    after = _values(instance, spec)
    if created:
        if CREATED not in spec.events:
            return
        changes = {k: [None, _shown(k, v, spec)] for k, v in after.items()}
        event = CREATED
    else:
        before = getattr(instance, "_audit_before", None)
        if before is None or CHANGED not in spec.events:
            return
        changes = {
            k: [_shown(k, before[k], spec), _shown(k, after[k], spec)]
            for k in before
            if before[k] != after[k]
        }
        if not changes:
            return
        event = CHANGED
    _write(instance, spec, event, changes)


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    spec = _registry[sender]
    if DELETED not in spec.events:
        return
    changes = {k: [_shown(k, v, spec), None] for k, v in _values(instance, spec).items()}
    _write(instance, spec, DELETED, changes)


def _m2m_changed(
    sender: Any, instance: models.Model, action: str, reverse: bool, model: Any, pk_set: Any,
    **kwargs: Any,
) -> None:  # fmt: skip
    # Find which registered model and field this through table belongs to, on either side.
    for registered, spec in _registry.items():
        for m2m_name in spec.m2m:
            m2m_field = registered._meta.get_field(m2m_name)
            if m2m_field.remote_field.through is not sender:
                continue
            if CHANGED not in spec.events:
                return
            if not reverse:
                _m2m_write(instance, spec, m2m_name, action, pk_set, m2m_field)
            else:
                # e.g. group.user_set.add(user): one event per registered object affected.
                if action not in ("pre_clear", "post_clear", "post_add", "post_remove"):
                    return
                if action == "pre_clear":
                    related = getattr(instance, m2m_field.related_query_name())
                    instance._audit_cleared = set(related.values_list("pk", flat=True))  # type: ignore[attr-defined]
                    return
                pks = (
                    pk_set if action != "post_clear" else getattr(instance, "_audit_cleared", set())
                )
                for obj in registered._default_manager.filter(pk__in=pks or ()):
                    verb = "post_add" if action == "post_add" else "post_remove"
                    _m2m_write(obj, spec, m2m_name, verb, {instance.pk}, m2m_field)
            return


def _m2m_write(
    instance: models.Model, spec: _Audited, m2m_name: str, action: str, pk_set: Any, m2m_field: Any
) -> None:
    if action == "pre_clear":
        instance._audit_cleared = set(  # type: ignore[attr-defined]
            getattr(instance, m2m_name).values_list("pk", flat=True)
        )
        return
    if action == "post_clear":
        pk_set, action = getattr(instance, "_audit_cleared", set()), "post_remove"
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    target = m2m_field.remote_field.model
    labels = sorted(str(o) for o in target._default_manager.filter(pk__in=pk_set))
    key = "added" if action == "post_add" else "removed"
    _write(instance, spec, CHANGED, {m2m_name: {key: labels}})


def _write(instance: models.Model, spec: _Audited, event: str, changes: dict[str, Any]) -> None:
    verbose = instance._meta.verbose_name
    summary = f"{event.capitalize()} {verbose} {instance}"
    if event == CHANGED:
        summary += ": " + ", ".join(sorted(changes))
    audit_record(
        action=f"{spec.name}.{event}", obj=instance, summary=summary, detail={"changes": changes}
    )
