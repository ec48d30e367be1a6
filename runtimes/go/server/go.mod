module kubeless.io/runtime-go

go 1.22

require github.com/kubeless/kubeless v1.0.7

replace github.com/kubeless/kubeless => ../kubeless
