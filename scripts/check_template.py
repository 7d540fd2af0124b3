#!/usr/bin/env python3
"""Least-privilege and encryption checks on template.yaml, after the transforms CloudFormation runs.

For each value of the AuthMode parameter, the template goes through the AWS::LanguageExtensions
transform (SAM CLI's implementation) and the SAM transform (aws-sam-translator), so the policies
that SAM policy templates (S3CrudPolicy, ...) expand to are checked, not just what is written. It fails on:

- an IAM or resource-policy statement whose Action/NotAction has a `*` anywhere, or that uses NotAction
  or NotResource, or that allows Principal `*`. The one exception is the documented TLS-only statement
  of a bucket policy: Effect Deny, Principal "*", Action "s3:*", Condition Bool aws:SecureTransport false.
- a Resource that is `*` or has a `*` anywhere except a single trailing one that follows a reference to a
  resource of this template (`<bucket ARN>/*`, `table/<table>/index/*`, `function:<name>*`: the objects,
  indexes or versions of one resource we own, which have no fixed names).
- a managed policy other than AWSLambdaBasicExecutionRole (which SAM attaches to every function role:
  CloudWatch Logs CreateLogGroup/CreateLogStream/PutLogEvents; reviewed and accepted).
- an S3 bucket without default encryption, without all four public-access blocks, or without a bucket
  policy holding the TLS-only deny; a DynamoDB table without SSESpecification.SSEEnabled; an SQS
  queue with server-side encryption switched off.
- an HTTP API route without the authorizer the AuthMode parameter selects, or a stage without throttling.

`--self-test` also checks that the checker catches each of those faults when injected into the template.
Run: .venv/bin/python scripts/check_template.py [--self-test] [template.yaml]
"""
import copy
import logging
import os
import re
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samcli.lib.cfn_language_extensions.api import process_template  # noqa: E402
from samcli.yamlhelper import yaml_parse  # noqa: E402
from samtranslator.parser.parser import Parser  # noqa: E402
from samtranslator.translator.translator import Translator  # noqa: E402

logging.getLogger("samtranslator").setLevel(logging.ERROR)

ALLOWED_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
}
SSE_ALGORITHMS = {"AES256", "aws:kms", "aws:kms:dsse"}


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml_parse(f.read())


def transformed(template, params):
    """The template as CloudFormation would deploy it with these parameter values."""
    t = copy.deepcopy(template)
    fn_globals = t.get("Globals", {}).get("Function", {})
    if "CodeUri" in fn_globals:
        fn_globals["CodeUri"] = "s3://bucket/code.zip"
    for r in t.get("Resources", {}).values():
        props = r.get("Properties") or {}
        if r.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = "s3://bucket/code.zip"
        if r.get("Type") == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            props["DefinitionUri"] = "s3://bucket/definition.json"
        if r.get("Type") == "AWS::Serverless::LayerVersion" and isinstance(props.get("ContentUri"), str):
            props["ContentUri"] = "s3://bucket/layer.zip"
    transforms = as_list(t.get("Transform"))
    if "AWS::LanguageExtensions" in transforms:
        t = process_template(t, params)
        t["Transform"] = [x for x in transforms if x != "AWS::LanguageExtensions"]
        if len(t["Transform"]) == 1:
            t["Transform"] = t["Transform"][0]
    if "AWS::Serverless-2016-10-31" in as_list(t.get("Transform")):
        t = Translator({}, Parser()).translate(t, params)
    return t


PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
          "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "stack"}


def render(v, resources, variables=None):
    """Renders a Resource value to strings: references become `<ref:Name>`; Fn::If yields both arms."""
    variables = variables or {}
    if isinstance(v, str):
        # A `${X}` left in a plain string (the language-extensions pass resolves Fn::Sub partially).
        return [re.sub(r"\$\{([^}!]+)\}", lambda m: PSEUDO.get(m.group(1), f"<ref:{m.group(1).split('.')[0]}>"), v)]
    if isinstance(v, list):
        out = []
        for x in v:
            out += render(x, resources, variables)
        return out
    if not isinstance(v, dict) or len(v) != 1:
        return ["<unknown>"]
    (k, a), = v.items()
    if k == "Ref":
        if a in PSEUDO:
            return [PSEUDO[a]]
        if a == "AWS::NoValue":
            return []
        return [f"<ref:{a}>"]
    if k == "Fn::GetAtt":
        name = a[0] if isinstance(a, list) else str(a).split(".")[0]
        return [f"<ref:{name}>"]
    if k == "Fn::If":
        return render(a[1], resources, variables) + render(a[2], resources, variables)
    if k == "Fn::Join":
        sep, parts = a
        rendered = [render(p, resources, variables) for p in parts]
        return [sep.join(r[0] if r else "" for r in rendered)]
    if k == "Fn::Sub":
        text, local = (a, {}) if isinstance(a, str) else (a[0], a[1])

        def sub(m):
            name = m.group(1)
            if name in local:
                r = render(local[name], resources, variables)
                return r[0] if r else ""
            if name in PSEUDO:
                return PSEUDO[name]
            return f"<ref:{name.split('.')[0]}>"

        return [re.sub(r"\$\{([^}!]+)\}", sub, text)]
    return ["<unknown>"]


def resource_ok(s, resources):
    if "<unknown>" in s:
        return False
    if "*" not in s:
        return True
    if s.count("*") != 1 or not s.endswith("*"):
        return False
    refs = re.findall(r"<ref:([^>]+)>", s[:-1])
    return any(r in resources for r in refs)


def is_tls_deny(st, rtype):
    principal = st.get("Principal")
    return (
        rtype == "AWS::S3::BucketPolicy"
        and st.get("Effect") == "Deny"
        and (principal == "*" or principal == {"AWS": "*"})
        and as_list(st.get("Action")) == ["s3:*"]
        and str(st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")).lower() == "false"
    )


def policy_documents(node, where):
    """Every (where, PolicyDocument) under node."""
    if isinstance(node, dict):
        if "Statement" in node and isinstance(node.get("Statement"), (list, dict)):
            yield where, node
        for k, v in node.items():
            yield from policy_documents(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from policy_documents(v, f"{where}[{i}]")


def check_statement(st, where, rtype, resources, errors):
    if is_tls_deny(st, rtype):
        return
    if "NotAction" in st or "NotResource" in st:
        errors.append(f"{where}: NotAction/NotResource grant everything else; list what is allowed")
    for a in as_list(st.get("Action")) + as_list(st.get("NotAction")):
        if not isinstance(a, str) or "*" in a:
            errors.append(f"{where}: wildcard action {a!r}")
    principal = st.get("Principal")
    if st.get("Effect") == "Allow" and (principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS")))):
        errors.append(f"{where}: allows Principal '*'")
    if "Principal" in st and "Resource" not in st:
        return  # trust policies and resource policies without Resource name no resource
    for r in as_list(st.get("Resource")):
        for s in render(r, resources):
            if not resource_ok(s, resources):
                errors.append(f"{where}: wildcard or unresolvable resource {s!r}")


def check(template):
    """Returns the list of problems (empty when the template passes)."""
    errors = []
    params = template.get("Parameters", {})
    modes = params.get("AuthMode", {}).get("AllowedValues")
    if not modes:
        return ["Parameters.AuthMode (iam | jwt) is missing: the HTTP API needs an authorizer chosen by a parameter"]
    for mode in modes:
        try:
            out = transformed(template, {"AuthMode": mode})
        except Exception as e:  # noqa: BLE001 - report any transform failure as a finding
            errors.append(f"[AuthMode={mode}] transform failed: {e}")
            continue
        errors += [f"[AuthMode={mode}] {e}" for e in check_transformed(out, mode)]
    return errors


def check_transformed(out, mode):
    errors = []
    res = out.get("Resources", {})
    policies_by_bucket = {}
    for name, r in res.items():
        rtype = r.get("Type", "")
        props = r.get("Properties") or {}
        for where, doc in policy_documents(props, name):
            for i, st in enumerate(as_list(doc.get("Statement"))):
                check_statement(st, f"{where}.Statement[{i}]", rtype, res, errors)
        for arn in as_list(props.get("ManagedPolicyArns")):
            rendered = render(arn, res)
            if not all(x in ALLOWED_MANAGED for x in rendered):
                errors.append(f"{name}: managed policy {rendered} is not on the reviewed list")
        if rtype == "AWS::S3::BucketPolicy":
            bucket = render(props.get("Bucket"), res)
            tls = any(is_tls_deny(st, rtype) for st in as_list(props.get("PolicyDocument", {}).get("Statement")))
            for b in bucket:
                policies_by_bucket[b] = policies_by_bucket.get(b, False) or tls
    for name, r in res.items():
        rtype = r.get("Type", "")
        props = r.get("Properties") or {}
        if rtype == "AWS::S3::Bucket":
            rules = as_list(props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration"))
            algs = [x.get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for x in rules]
            if not algs or not all(a in SSE_ALGORITHMS for a in algs):
                errors.append(f"{name}: S3 bucket without default encryption (BucketEncryption)")
            pab = props.get("PublicAccessBlockConfiguration", {})
            for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
                if pab.get(k) is not True:
                    errors.append(f"{name}: PublicAccessBlockConfiguration.{k} must be true")
            if not policies_by_bucket.get(f"<ref:{name}>"):
                errors.append(f"{name}: no bucket policy denying requests without TLS (aws:SecureTransport false)")
        if rtype in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            if props.get("SSESpecification", {}).get("SSEEnabled") is not True:
                errors.append(f"{name}: DynamoDB table without SSESpecification.SSEEnabled: true")
        if rtype == "AWS::SQS::Queue":
            if props.get("SqsManagedSseEnabled") is False and "KmsMasterKeyId" not in props:
                errors.append(f"{name}: SQS queue with encryption switched off")
        if rtype == "AWS::ApiGatewayV2::Api":
            errors += check_http_api(name, props, mode)
        if rtype == "AWS::ApiGatewayV2::Stage":
            d = props.get("DefaultRouteSettings", {})
            if d.get("ThrottlingRateLimit") is None or d.get("ThrottlingBurstLimit") is None:
                errors.append(f"{name}: stage without DefaultRouteSettings throttling")
        if rtype == "AWS::ApiGatewayV2::Route" and props.get("AuthorizationType", "NONE") == "NONE":
            errors.append(f"{name}: route without an authorizer")
    return errors


def check_http_api(name, props, mode):
    errors = []
    body = props.get("Body")
    if not isinstance(body, dict):
        return [f"{name}: HTTP API without an inline OpenAPI body (cannot check its authorizers)"]
    schemes = body.get("components", {}).get("securitySchemes", {})
    want = "awsSigv4" if mode == "iam" else "jwt"
    for path, ops in body.get("paths", {}).items():
        for method, op in ops.items():
            if not isinstance(op, dict) or method.startswith("x-"):
                continue
            sec = [k for s in as_list(op.get("security")) for k in s]
            kinds = []
            for k in sec:
                sch = schemes.get(k, {})
                kinds.append(sch.get("x-amazon-apigateway-authtype") or sch.get("x-amazon-apigateway-authorizer", {}).get("type"))
            if want not in kinds:
                errors.append(f"{name}: {method.upper()} {path} is not behind the {mode} authorizer (security: {sec})")
    return errors


def mutations(t):
    """(description, mutated template) pairs; each must make check() fail."""
    fns = [k for k, r in t["Resources"].items() if r.get("Type") == "AWS::Serverless::Function"]
    f = fns[0]

    def with_policy(statement):
        m = copy.deepcopy(t)
        m["Resources"][f]["Properties"]["Policies"] = as_list(m["Resources"][f]["Properties"].get("Policies")) + [
            {"Statement": [statement]}]
        return m

    out = [
        ("wildcard action", with_policy({"Effect": "Allow", "Action": "s3:*", "Resource": {"Fn::Sub": "${ArtifactBucket.Arn}/*"}})),
        ("partial wildcard action", with_policy({"Effect": "Allow", "Action": ["dynamodb:Get*"], "Resource": {"Fn::GetAtt": ["RunTable", "Arn"]}})),
        ("wildcard resource", with_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})),
        ("account-wide resource", with_policy({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"}})),
        ("NotAction", with_policy({"Effect": "Allow", "NotAction": "iam:PassRole", "Resource": {"Fn::GetAtt": ["RunTable", "Arn"]}})),
        ("SAM policy template on Resource *", _with(t, lambda m: m["Resources"][f]["Properties"].__setitem__("Policies", [{"CloudWatchPutMetricPolicy": {}}]))),
        ("AWS managed admin policy", _with(t, lambda m: m["Resources"][f]["Properties"].__setitem__("Policies", ["arn:aws:iam::aws:policy/AdministratorAccess"]))),
    ]
    m = copy.deepcopy(t)
    m["Resources"]["UnencryptedBucket"] = {"Type": "AWS::S3::Bucket", "Properties": {}}
    out.append(("unencrypted bucket", m))
    buckets = [k for k, r in t["Resources"].items() if r.get("Type") == "AWS::S3::Bucket"]
    tables = [k for k, r in t["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table"]
    for b in buckets:
        out.append((f"{b} without BucketEncryption", _with(t, lambda m, b=b: m["Resources"][b]["Properties"].pop("BucketEncryption"))))
    for tb in tables:
        out.append((f"{tb} without SSESpecification", _with(t, lambda m, tb=tb: m["Resources"][tb]["Properties"].pop("SSESpecification"))))
    m = copy.deepcopy(t)
    m["Resources"]["PlainTable"] = {"Type": "AWS::DynamoDB::Table", "Properties": {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}
    out.append(("unencrypted table", m))
    bucket_policies = [k for k, r in t["Resources"].items() if r.get("Type") == "AWS::S3::BucketPolicy"]
    for p in bucket_policies:
        out.append((f"{p} removed (no TLS-only policy)", _with(t, lambda m, p=p: m["Resources"].pop(p))))
    apis = [k for k, r in t["Resources"].items() if r.get("Type") == "AWS::Serverless::HttpApi"]
    for a in apis:
        out.append((f"{a} without Auth", _with(t, lambda m, a=a: m["Resources"][a]["Properties"].pop("Auth"))))
        out.append((f"{a} without throttling", _with(t, lambda m, a=a: m["Resources"][a]["Properties"].pop("DefaultRouteSettings"))))
    return out


def allowed(t):
    """(description, template) pairs that must still pass: the narrow patterns the rules permit."""
    fns = [k for k, r in t["Resources"].items() if r.get("Type") == "AWS::Serverless::Function"]
    m = copy.deepcopy(t)
    m["Resources"][fns[0]]["Properties"]["Policies"] = as_list(m["Resources"][fns[0]]["Properties"].get("Policies")) + [
        {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": {"Fn::Sub": "${ArtifactBucket.Arn}/runs/*"}}]},
        {"DynamoDBReadPolicy": {"TableName": {"Ref": "RunTable"}}},
    ]
    return [("objects of our own bucket, a SAM read policy on our table", m)]


def _with(t, change):
    m = copy.deepcopy(t)
    change(m)
    return m


def main(argv):
    self_test = "--self-test" in argv
    paths = [a for a in argv if not a.startswith("--")]
    path = paths[0] if paths else os.path.join(os.path.dirname(__file__), "..", "template.yaml")
    t = load(path)
    errors = check(t)
    for e in errors:
        print(f"template: {e}")
    if errors:
        print(f"template: {len(errors)} problem(s) in {path}")
        return 1
    print(f"template: {path} passes (least privilege, encryption at rest, TLS-only bucket policy, authorizer, throttling)")
    if self_test:
        missed = []
        for what, m in mutations(t):
            found = check(m)
            print(f"self-test: {what}: {'caught' if found else 'MISSED'}" + (f" ({found[0]})" if found else ""))
            if not found:
                missed.append(what)
        for what, m in allowed(t):
            found = check(m)
            print(f"self-test: {what}: {'REFUSED' if found else 'allowed'}" + (f" ({found[0]})" if found else ""))
            if found:
                missed.append(what)
        if missed:
            print(f"self-test: the checker missed {missed}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
