package kubeless

func handler(data string) string {
	return data
}
