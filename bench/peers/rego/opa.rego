# `opa eval -d lib.rego -d opa.rego -i input.json data.s3vg.findings`: input is
# {"resources": [...]}, every object of the corpus already converted from YAML to JSON.
package s3vg

import data.lib.s3vg

findings contains finding if {
	some obj in input.resources
	some finding in s3vg.findings(obj)
}
