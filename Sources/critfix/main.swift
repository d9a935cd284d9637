print("critfix")
