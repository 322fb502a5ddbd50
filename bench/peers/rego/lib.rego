# The three compared rules for one Kubernetes object, shared by conftest (conftest/main.rego),
# opa (opa.rego) and Gatekeeper (copied verbatim into gatekeeper/template.yaml's libs; run.mjs
# checks the copy is identical). Rego v1: the default of OPA 1.x and conftest; the template
# declares `version: v1`.
package lib.s3vg

# Upjet spec.forProvider.policy / spec.initProvider.policy: a JSON string.
policy_string(obj) := s if {
	s := obj.spec.forProvider.policy
	is_string(s)
	s != ""
} else := s if {
	s := obj.spec.initProvider.policy
	is_string(s)
	s != ""
}

statements(doc) := doc.Statement if is_array(doc.Statement)

statements(doc) := [doc.Statement] if is_object(doc.Statement)

as_array(x) := x if is_array(x)

as_array(x) := [x] if not is_array(x)

is_s3_endpoint(obj) if {
	obj.kind == "VPCEndpoint"
	endswith(obj.spec.forProvider.serviceName, ".s3")
}

any_principal(st) if st.Principal == "*"

any_principal(st) if "*" in as_array(st.Principal.AWS)

all_actions(st) if "*" in as_array(st.Action)

all_actions(st) if "s3:*" in as_array(st.Action)

full_access_statement(st) if {
	st.Effect == "Allow"
	any_principal(st)
	all_actions(st)
	"*" in as_array(st.Resource)
	not st.Condition
}

# endpoint-full-access: no policy (AWS applies the default full-access one), or an unconditional
# Allow of "*"/"s3:*" to every principal on every resource.
endpoint_full_access(obj) if {
	is_s3_endpoint(obj)
	not policy_string(obj)
}

endpoint_full_access(obj) if {
	is_s3_endpoint(obj)
	some st in statements(json.unmarshal(policy_string(obj)))
	full_access_statement(st)
}

# source-ip-condition: a Deny whose NotIpAddress tests aws:SourceIp (any case), which every
# request through an endpoint (private source address) matches.
source_ip_condition(obj) if {
	obj.kind == "BucketPolicy"
	some st in statements(json.unmarshal(policy_string(obj)))
	st.Effect == "Deny"
	some key, _ in st.Condition.NotIpAddress
	lower(key) == "aws:sourceip"
}

# vpce-condition-value: an aws:SourceVpce value (any key case, any String operator) that is not
# an endpoint id vpce- followed by 8 or 17 hex digits (an ARN is the classic error).
vpce_condition_value(obj) if {
	obj.kind == "BucketPolicy"
	some st in statements(json.unmarshal(policy_string(obj)))
	some operator, entries in st.Condition
	startswith(operator, "String")
	some key, values in entries
	lower(key) == "aws:sourcevpce"
	some value in as_array(values)
	not regex.match(`^vpce-([0-9a-f]{8}|[0-9a-f]{17})$`, value)
}

# "<rule> <Kind>/<name>" for every rule the object breaks.
findings(obj) := {sprintf("%s %s/%s", [rule, obj.kind, obj.metadata.name]) |
	some rule in ["endpoint-full-access", "source-ip-condition", "vpce-condition-value"]
	breaks(rule, obj)
}

breaks("endpoint-full-access", obj) if endpoint_full_access(obj)

breaks("source-ip-condition", obj) if source_ip_condition(obj)

breaks("vpce-condition-value", obj) if vpce_condition_value(obj)
