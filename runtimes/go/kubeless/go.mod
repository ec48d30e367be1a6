// The function-facing API of Kubeless's Go runtime, written for this project: user code imports
// github.com/kubeless/kubeless/pkg/functions and the build replaces that module with this folder,
// so nothing of Kubeless is downloaded.
module github.com/kubeless/kubeless

go 1.18
