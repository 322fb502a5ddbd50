# conftest evaluates each YAML document as its own input; `conftest test -p rego/conftest -p rego/lib.rego`.
package main

import data.lib.s3vg

deny contains finding if {
	some finding in s3vg.findings(input)
}
