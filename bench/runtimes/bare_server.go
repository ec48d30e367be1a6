// A bare hello-world server on net/http, the baseline of the Go runtime's benchmark: it reads the
// body and answers "hello world" as the runtime's hello function does.
package main

import (
	"io"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("FUNC_PORT")
	if port == "" {
		port = "8080"
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "hello world")
	})
	if err := http.ListenAndServe(":"+port, handler); err != nil {
		panic(err)
	}
}
