// Package api holds the OpenAPI description of Tycho's REST API, which the
// server serves and its tests hold the routes to.
package api

import _ "embed"

// OpenAPI is openapi.yaml, an OpenAPI 3.1 document.
//
//go:embed openapi.yaml
var OpenAPI []byte
