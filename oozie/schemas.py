"""Validation of Oozie files against Oozie's official XSDs, read from the ``oozie-client`` jar of
Maven Central (``make jars`` fetches it into ``.jars/oozie/``).

Workflow 1.0 (and 0.5) admits an action of another namespace through a strict ``xs:any``: a
Spark or email action is only checked, and only accepted, when its own schema is loaded with the
workflow's. So each validator is one schema that imports every namespace a file of that kind may
hold: workflow + spark-action + email-action + sla, or coordinator + sla.
"""
from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Dict, List

OOZIE_CLIENT = "org.apache.oozie:oozie-client:5.2.1"
JAR_NAME = "oozie-client-5.2.1.jar"


class SchemaError(ValueError):
    """A generated file does not validate; the message lists every violation with its line."""


def schema_documents(schemas: str) -> Dict[str, List[str]]:
    """The XSD files each kind of file is validated against, for a target of :data:`oozie.app.SCHEMAS`."""
    from oozie.app import COORDINATOR, EMAIL, SCHEMAS, SLA
    target = SCHEMAS[schemas]
    sla = f"oozie-sla-{SLA}.xsd"
    return {"workflow": [f"oozie-workflow-{target.workflow}.xsd", f"spark-action-{target.spark}.xsd",
                         f"email-action-{EMAIL}.xsd", sla],
            "coordinator": [f"oozie-coordinator-{COORDINATOR}.xsd", sla]}


def _namespace(xsd: bytes) -> str:
    from lxml import etree
    return etree.fromstring(xsd).get("targetNamespace")


class Validator:
    """Validators for the generated files of one schema target, from the jar at ``jar``.

    Parameters
    ----------
    jar
        Path to ``oozie-client-5.2.1.jar``.
    schemas
        ``current`` or ``cdh``.
    """

    def __init__(self, jar: Path, schemas: str):
        from lxml import etree
        if not Path(jar).is_file():
            raise FileNotFoundError(f"{jar}: Oozie's client jar ({OOZIE_CLIENT}) is missing; run `make jars`")
        self._directory = tempfile.TemporaryDirectory(prefix="oozie-xsd-")
        root = Path(self._directory.name)
        with zipfile.ZipFile(jar) as archive:
            for name in archive.namelist():
                if name.endswith(".xsd") and "/" not in name:
                    (root / name).write_bytes(archive.read(name))
        self._schemas = {}
        for kind, files in schema_documents(schemas).items():
            imports = "".join(f'<xs:import namespace="{_namespace((root / f).read_bytes())}" '
                              f'schemaLocation="{(root / f).as_uri()}"/>' for f in files)
            wrapper = ('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                       f'targetNamespace="urn:cdr-pipelines:oozie:{kind}">{imports}</xs:schema>')
            self._schemas[kind] = etree.XMLSchema(etree.fromstring(wrapper.encode(), base_url=root.as_uri() + "/"))

    def errors(self, kind: str, text: str) -> List[str]:
        """Every violation of ``text`` (a ``workflow`` or a ``coordinator``), ``line N: message``."""
        from lxml import etree
        schema = self._schemas[kind]
        schema.validate(etree.fromstring(text.encode("utf-8")))
        return [f"line {e.line}: {e.message}" for e in schema.error_log]

    def check(self, kind: str, text: str, name: str = "") -> None:
        """Raise :class:`SchemaError` naming the file and every violation, if there is any."""
        problems = self.errors(kind, text)
        if problems:
            raise SchemaError(f"{name or kind} does not validate:\n  " + "\n  ".join(problems))
