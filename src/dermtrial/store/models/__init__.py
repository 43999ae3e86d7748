"""Every stored table, by area. Importing this package registers all of them on :data:`Base.metadata`."""

from dermtrial.store.models.access import (
    ApiToken,
    Delegation,
    Permission,
    Role,
    RoleGrant,
    RolePermission,
    User,
    UserSession,
)
from dermtrial.store.models.audit import AuditChainHead, AuditEvent
from dermtrial.store.models.clinical import (
    AdverseEvent,
    Deviation,
    EligibilityEvaluation,
    Exposure,
    FormInstance,
    LabResult,
)
from dermtrial.store.models.review import DataCut, DataQuery, QueryMessage, RecordLock, SdvStatus, Signature
from dermtrial.store.models.safety import SaeReport
from dermtrial.store.models.study import ReferenceRange, Site, Study, StudyKey
from dermtrial.store.models.subject import Consent, Subject, SubjectIdentity, Visit

__all__ = [
    "AdverseEvent",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "Consent",
    "DataCut",
    "DataQuery",
    "Delegation",
    "Deviation",
    "EligibilityEvaluation",
    "Exposure",
    "FormInstance",
    "LabResult",
    "Permission",
    "QueryMessage",
    "RecordLock",
    "ReferenceRange",
    "Role",
    "RoleGrant",
    "RolePermission",
    "SaeReport",
    "SdvStatus",
    "Signature",
    "Site",
    "Study",
    "StudyKey",
    "Subject",
    "SubjectIdentity",
    "User",
    "UserSession",
    "Visit",
]
