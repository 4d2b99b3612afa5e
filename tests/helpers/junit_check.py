# Strict check of a JUnit XML file as GitLab and Jenkins read it: a
# well-formed document (expat), <testsuites> or <testsuite> at the top,
# every suite with name, tests, failures, errors and time, counts that
# add up, every testcase with name, classname and time, every failure and
# error with message and type. Prints what is wrong; exit 1.
import sys
import xml.etree.ElementTree as ET

def fail(msg):
    print("junit_check: " + msg)
    sys.exit(1)

try:
    root = ET.parse(sys.argv[1]).getroot()
except ET.ParseError as e:
    fail("not well-formed XML: %s" % e)
except OSError as e:
    fail(str(e))
suites = [root] if root.tag == "testsuite" else list(root)
if root.tag not in ("testsuites", "testsuite"):
    fail("top element is <%s>" % root.tag)
total = 0
for s in suites:
    if s.tag != "testsuite":
        fail("<%s> inside <testsuites>" % s.tag)
    for a in ("name", "tests", "failures", "errors", "time"):
        if a not in s.attrib:
            fail("testsuite without %s" % a)
    float(s.get("time"))
    cases = s.findall("testcase")
    if int(s.get("tests")) != len(cases):
        fail("suite %s: tests=%s but %d testcases" % (s.get("name"), s.get("tests"), len(cases)))
    nf = sum(1 for c in cases if c.find("failure") is not None)
    ne = sum(1 for c in cases if c.find("error") is not None)
    if int(s.get("failures")) != nf or int(s.get("errors")) != ne:
        fail("suite %s: failures/errors attributes do not match its testcases" % s.get("name"))
    for c in cases:
        for a in ("name", "classname", "time"):
            if a not in c.attrib:
                fail("testcase without %s" % a)
        float(c.get("time"))
        for tag in ("failure", "error"):
            e = c.find(tag)
            if e is not None and ("message" not in e.attrib or "type" not in e.attrib):
                fail("%s without message or type" % tag)
    total += len(cases)
if root.tag == "testsuites":
    if int(root.get("tests", -1)) != total:
        fail("testsuites tests=%s, testcases %d" % (root.get("tests"), total))
    float(root.get("time"))
print("junit_check: ok, %d suites, %d testcases" % (len(suites), total))
