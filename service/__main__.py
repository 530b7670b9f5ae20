from service._cli import main

main()
