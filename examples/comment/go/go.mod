module example.com/comment-svc

go 1.19
