from django.shortcuts import render


def search_page(request):
    """Placeholder page until the discovery index lands (issue 7)."""
    return render(request, "search/search.html", {"query": request.GET.get("q", "")})
