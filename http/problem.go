package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"tycho"
)

// MaxBody is the largest request body the API reads; a campaign file with
// descriptor tables inlined fits with room to spare.
const MaxBody = 4 << 20

// Problem is an RFC 9457 problem detail, the body of every error response.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Code is the Tycho error code (tycho.EINVALID and so on).
	Code string `json:"code"`
	// Field is a JSON Pointer to the member of the request body at fault,
	// when one is.
	Field string `json:"field,omitempty"`
}

// problemTypes gives each error code its type URI and status.
var problemTypes = map[string]struct {
	status int
	title  string
}{
	tycho.EINVALID:      {http.StatusBadRequest, "Invalid request"},
	tycho.ENOTFOUND:     {http.StatusNotFound, "Not found"},
	tycho.ECONFLICT:     {http.StatusConflict, "Conflict"},
	tycho.EUNAUTHORIZED: {http.StatusUnauthorized, "Unauthorized"},
	tycho.EFORBIDDEN:    {http.StatusForbidden, "Forbidden"},
	tycho.EINTERNAL:     {http.StatusInternalServerError, "Internal error"},
	etooLarge:           {http.StatusRequestEntityTooLarge, "Request body too large"},
	eunsupported:        {http.StatusUnsupportedMediaType, "Unsupported media type"},
	emethod:             {http.StatusMethodNotAllowed, "Method not allowed"},
}

// Codes of the API beyond the domain's.
const (
	etooLarge    = "too_large"
	eunsupported = "unsupported_media_type"
	emethod      = "method_not_allowed"
)

// fieldError is an invalid request body, with the member at fault.
type fieldError struct {
	code    string
	pointer string
	msg     string
}

func (e *fieldError) Error() string { return e.msg }

// writeError writes err as problem+json. Internal errors are logged and
// reported without their details.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := Problem{Code: tycho.ErrorCode(err), Detail: tycho.ErrorMessage(err)}
	var fe *fieldError
	if errors.As(err, &fe) {
		p.Code, p.Field, p.Detail = fe.code, fe.pointer, fe.msg
	}
	t, ok := problemTypes[p.Code]
	if !ok {
		t = problemTypes[tycho.EINTERNAL]
	}
	p.Status, p.Title = t.status, t.title
	p.Type = "https://tycho.dev/problems/" + strings.ReplaceAll(p.Code, "_", "-")
	if p.Code == tycho.EINTERNAL {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"type":"https://tycho.dev/problems/internal","title":"Internal error","status":500,"code":"internal","detail":"the response could not be encoded"}`+"\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// decode reads a JSON request body into v strictly: one JSON value of at
// most MaxBody bytes, no duplicate member names, no unknown members, and
// every value of the type its field declares. Errors name the member by
// JSON Pointer.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &fieldError{eunsupported, "", fmt.Sprintf("the body must be application/json, not %s", ct)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &fieldError{etooLarge, "", fmt.Sprintf("the body is larger than %d bytes", MaxBody)}
	} else if err != nil {
		return &fieldError{tycho.EINVALID, "", "the body could not be read: " + err.Error()}
	}
	return decodeJSON(body, v)
}

// decodeJSON is decode's strict JSON reading, on bytes.
func decodeJSON(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return &fieldError{tycho.EINVALID, "", "the body is empty; want a JSON object"}
	}
	err := jsonv2.Unmarshal(body, v, jsonv2.RejectUnknownMembers(true), jsontext.AllowDuplicateNames(false))
	if err == nil {
		return nil
	}
	var se *jsonv2.SemanticError
	var xe *jsontext.SyntacticError
	switch {
	case errors.As(err, &xe):
		ptr := string(xe.JSONPointer)
		msg := fmt.Sprintf("malformed JSON at byte %d", xe.ByteOffset)
		if ptr != "" {
			msg += " (in " + ptr + ")"
		}
		if xe.Err != nil {
			msg += ": " + cleanJSONError(xe.Err.Error())
		}
		return &fieldError{tycho.EINVALID, ptr, msg}
	case errors.As(err, &se):
		ptr := string(se.JSONPointer)
		var msg string
		switch {
		case errors.Is(err, jsonv2.ErrUnknownName):
			msg = fmt.Sprintf("%s: unknown field", orRoot(ptr))
		case se.GoType != nil && se.JSONKind != 0:
			msg = fmt.Sprintf("%s: want %s, got JSON %s", orRoot(ptr), goKind(se.GoType.Kind().String()), jsonKind(se.JSONKind))
		default:
			msg = fmt.Sprintf("%s: %s", orRoot(ptr), cleanJSONError(err.Error()))
		}
		var te *tycho.Error
		if errors.As(err, &te) {
			msg = fmt.Sprintf("%s: %s", orRoot(ptr), te.Message)
		}
		return &fieldError{tycho.EINVALID, ptr, msg}
	}
	return &fieldError{tycho.EINVALID, "", "invalid JSON: " + cleanJSONError(err.Error())}
}

func orRoot(ptr string) string {
	if ptr == "" {
		return "body"
	}
	return ptr
}

func goKind(k string) string {
	switch k {
	case "float64", "float32", "int", "int64", "int32", "uint64", "uint32", "uint":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return k
}

func jsonKind(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return k.String()
}

// cleanJSONError drops the package prefix the JSON library puts on its
// messages.
func cleanJSONError(s string) string {
	for _, p := range []string{"jsontext: ", "json: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}
